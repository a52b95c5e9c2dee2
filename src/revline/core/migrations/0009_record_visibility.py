# Record-level visibility per object type (issue 9 point 3). deal_visibility keeps its values
# and gains "own"; contacts, companies and activities default to "all", as before.

from django.db import migrations, models

CHOICES = [
    ("all", "All records"),
    ("team", "Their team's records (and unowned ones)"),
    ("own", "Their own records (and unowned ones)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_api_scopes_idempotency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workspace",
            name="deal_visibility",
            field=models.CharField(choices=CHOICES, default="team", max_length=10),
        ),
        migrations.AddField(
            model_name="workspace",
            name="contact_visibility",
            field=models.CharField(choices=CHOICES, default="all", max_length=10),
        ),
        migrations.AddField(
            model_name="workspace",
            name="company_visibility",
            field=models.CharField(choices=CHOICES, default="all", max_length=10),
        ),
        migrations.AddField(
            model_name="workspace",
            name="activity_visibility",
            field=models.CharField(choices=CHOICES, default="all", max_length=10),
        ),
    ]
