"""Pictures of uses move from MEDIA_ROOT (served as static files, named after the licence's
id) to the private media storage under random names."""

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.db import migrations, models, transaction

import marketplace.core.storage
import marketplace.payments.models


def move_pictures(apps, schema_editor):
    UsageReport = apps.get_model("payments", "UsageReport")
    served = FileSystemStorage(location=settings.MEDIA_ROOT)
    private = storages["media"]
    moved: list[str] = []
    for pk, name in UsageReport.objects.exclude(image="").order_by("pk").values_list("pk", "image"):
        if not served.exists(name):
            continue
        with served.open(name, "rb") as handle:
            stored = private.save(marketplace.core.storage.random_name("usage", name), File(handle))
        UsageReport.objects.filter(pk=pk).update(image=stored)
        moved.append(name)
    # The served copies go once the new names are committed.
    transaction.on_commit(lambda: [served.delete(name) for name in moved])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_refund_claims"),
    ]

    operations = [
        migrations.AlterField(
            model_name="usagereport",
            name="image",
            field=models.ImageField(
                blank=True,
                storage=marketplace.core.storage.media_storage,
                upload_to=marketplace.payments.models.use_picture_name,
            ),
        ),
        migrations.AddIndex(
            model_name="usagereport",
            index=models.Index(
                condition=models.Q(("image", ""), _negated=True),
                fields=["image"],
                name="usage_image_idx",
            ),
        ),
        migrations.RunPython(move_pictures, migrations.RunPython.noop),
    ]
