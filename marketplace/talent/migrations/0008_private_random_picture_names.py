"""Twin pictures move from MEDIA_ROOT (served as static files, named after the twin's and the
picture's ids) to the private media storage under random names."""

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.db import migrations, models, transaction

import marketplace.core.storage
import marketplace.talent.models


def move_pictures(apps, schema_editor):
    TwinImage = apps.get_model("talent", "TwinImage")
    served = FileSystemStorage(location=settings.MEDIA_ROOT)
    private = storages["media"]
    moved: list[str] = []
    for image in TwinImage.objects.order_by("pk").iterator():
        changed = {}
        for field in ("image", "thumbnail"):
            name = getattr(image, field).name
            if not name or not served.exists(name):
                continue
            with served.open(name, "rb") as handle:
                changed[field] = private.save(
                    marketplace.core.storage.random_name("twins", name), File(handle)
                )
            moved.append(name)
        if changed:
            TwinImage.objects.filter(pk=image.pk).update(**changed)
    # The served copies go once the new names are committed.
    transaction.on_commit(lambda: [served.delete(name) for name in moved])


class Migration(migrations.Migration):
    dependencies = [
        ("talent", "0007_ratecard_bounds"),
    ]

    operations = [
        migrations.AlterField(
            model_name="twinimage",
            name="image",
            field=models.ImageField(
                db_index=True,
                storage=marketplace.core.storage.media_storage,
                upload_to=marketplace.talent.models.twin_picture_name,
            ),
        ),
        migrations.AlterField(
            model_name="twinimage",
            name="thumbnail",
            field=models.ImageField(
                blank=True,
                db_index=True,
                storage=marketplace.core.storage.media_storage,
                upload_to=marketplace.talent.models.twin_picture_name,
            ),
        ),
        migrations.RunPython(move_pictures, migrations.RunPython.noop),
    ]
