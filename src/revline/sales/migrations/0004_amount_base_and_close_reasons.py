from django.conf import settings
from django.db import migrations
from django.db.models import F


def backfill_amount_base(apps, schema_editor):
    # Deals in the workspace currency are worth their amount; others are converted on their
    # next save, once an exchange rate exists.
    Deal = apps.get_model("sales", "Deal")
    Deal.objects.filter(currency=settings.CURRENCY).update(amount_base=F("amount"))


DEFAULT_REASONS = {
    "won": ["Best product fit", "Price and value", "Relationship", "Speed of delivery"],
    "lost": ["Price", "No budget", "Timing", "Went with a competitor", "No decision", "Product fit"],
}


def create_close_reasons(apps, schema_editor):
    CloseReason = apps.get_model("sales", "CloseReason")
    for kind, names in DEFAULT_REASONS.items():
        for position, name in enumerate(names):
            CloseReason.objects.get_or_create(kind=kind, name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_sales_workbench")]

    operations = [
        migrations.RunPython(backfill_amount_base, migrations.RunPython.noop),
        migrations.RunPython(create_close_reasons, migrations.RunPython.noop),
    ]
