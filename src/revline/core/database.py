"""Database housekeeping shared by the demo's wipe and the backup restore."""

from collections.abc import Sequence

from django.core.management.color import no_style
from django.db import connection


def tables_flush(tables: Sequence[str], *, reset_sequences: bool) -> None:
    """Empty `tables` (and, on PostgreSQL, any table pointing at them) inside the caller's
    transaction: one TRUNCATE ... CASCADE on PostgreSQL, DELETEs on SQLite."""
    statements = connection.ops.sql_flush(
        no_style(), list(tables), reset_sequences=reset_sequences, allow_cascade=True
    )
    postgres = connection.vendor == "postgresql"
    if postgres:
        # TRUNCATE refuses tables with deferred foreign-key checks still pending in this
        # transaction: run those checks now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(statements)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
