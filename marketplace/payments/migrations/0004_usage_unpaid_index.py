from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_portable_unique")]

    operations = [
        migrations.AddIndex(
            model_name="usagereport",
            index=models.Index(fields=["talent", "charge"], name="usage_unpaid_idx"),
        ),
    ]
