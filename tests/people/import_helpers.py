"""Shared steps of the import tests: upload bytes, configure, run both passes as the UI does."""

import io
from typing import Any

from revline.people import import_services
from revline.people.models import ContactImport


def upload(user, content: bytes | str, name: str = "list.csv", kind: str = "contacts"):
    data = content.encode() if isinstance(content, str) else content
    return import_services.contact_import_create(
        actor=user, kind=kind, file_name=name, source=io.BytesIO(data)
    )


def check(user, imp: ContactImport, capture, **options: Any) -> ContactImport:
    """Save the mapping (the suggested one unless given) and run the dry run."""
    options.setdefault("mapping", imp.mapping)
    options.setdefault("duplicate_policy", "skip")
    with capture(execute=True):
        import_services.contact_import_configure(actor=user, contact_import=imp, **options)
    imp.refresh_from_db()
    return imp


def run(user, imp: ContactImport, capture) -> ContactImport:
    with capture(execute=True):
        import_services.contact_import_start(actor=user, contact_import=imp)
    imp.refresh_from_db()
    return imp


def import_file(user, content, capture, name: str = "list.csv", kind: str = "contacts", **options):
    imp = check(user, upload(user, content, name, kind), capture, **options)
    return run(user, imp, capture)
