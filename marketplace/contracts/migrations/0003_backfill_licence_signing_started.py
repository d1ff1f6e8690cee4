"""Licences whose current (not void) contract already has a signature: signing has started,
so the brand can no longer withdraw (the licence now records this itself)."""

from django.db import migrations
from django.db.models import Min


def backfill(apps, schema_editor):
    Licence = apps.get_model("licensing", "Licence")
    Signature = apps.get_model("contracts", "Signature")
    first = (
        Signature.objects.exclude(contract__status="void")
        .values("contract__licence_id")
        .annotate(first=Min("signed_at"))
    )
    for row in first:
        Licence.objects.filter(pk=row["contract__licence_id"], signing_started_at=None).update(
            signing_started_at=row["first"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_contract_generation_failed"),
        ("licensing", "0003_licence_signing_started"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
