from django.db import migrations, models


def sources_of_unsent_payouts(apps, schema_editor):
    """Payouts planned before the source was stored: the one brand payment of their earnings
    (as the sender used to look it up), and runs already done count as notified."""
    Payout = apps.get_model("payments", "Payout")
    PayoutRun = apps.get_model("payments", "PayoutRun")
    for payout in Payout.objects.filter(status__in=["pending", "sending"]):
        sources = set(payout.earnings.values_list("charge__stripe_charge_id", flat=True))
        if len(sources) == 1 and (source := sources.pop()):
            Payout.objects.filter(pk=payout.pk).update(source_transaction=source)
    PayoutRun.objects.filter(status="done").update(notified_at=models.F("finished_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0010_refused_uses"),
    ]

    operations = [
        migrations.AddField(
            model_name="payout",
            name="source_transaction",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="payoutrun",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(sources_of_unsent_payouts, migrations.RunPython.noop),
    ]
