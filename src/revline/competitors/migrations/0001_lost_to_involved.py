"""Deals lost before competitors were recorded on deals: the competitor they went to was
involved in them (from now on deal_close_lost records it)."""

from django.db import migrations


def lost_to_involved(apps, schema_editor):
    Deal = apps.get_model("sales", "Deal")
    Involvement = Deal.competitors.through
    pairs = Deal.objects.filter(lost_to__isnull=False).values_list("pk", "lost_to_id")
    Involvement.objects.bulk_create(
        (
            Involvement(deal_id=deal_id, competitor_id=competitor_id)
            for deal_id, competitor_id in pairs
        ),
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_competitor_profiles")]

    operations = [migrations.RunPython(lost_to_involved, migrations.RunPython.noop)]
