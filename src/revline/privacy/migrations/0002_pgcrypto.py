from django.contrib.postgres.operations import CryptoExtension
from django.db import migrations


class Migration(migrations.Migration):
    """On PostgreSQL, SHA256() in SQL (matching addresses against the erased digests inside the
    send query) needs pgcrypto's digest(). A trusted extension: the database owner may create
    it. Nothing happens on SQLite."""

    dependencies = [("privacy", "0001_initial")]

    operations = [CryptoExtension()]
