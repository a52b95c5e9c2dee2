"""Reads of the email area that other apps use (imports, forms, segments)."""

from collections.abc import Iterable

from .models import Suppression


def suppressed_addresses(addresses: Iterable[str]) -> set[str]:
    """The given addresses (any case) that are on the suppression list, lower-cased."""
    wanted = {a.strip().lower() for a in addresses if a and a.strip()}
    if not wanted:
        return set()
    found: set[str] = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            Suppression.objects.filter(address__in=chunk).values_list("address", flat=True)
        )
    return found


def address_suppressed(address: str) -> bool:
    return bool(address) and Suppression.objects.filter(address=address.strip().lower()).exists()


def marketing_send_blockers(*, from_email: str = "") -> list[str]:
    """Why no marketing email may go out now (empty when it may): the law wants the sender's
    postal address in every footer, and mail needs a sender address (the email's own
    `from_email`, else the workspace's)."""
    from revline.core.workspace import workspace_get

    workspace = workspace_get()
    blockers: list[str] = []
    if not workspace.postal_address.strip():
        blockers.append(
            "Add your postal address in the email sender settings: the law requires it in the "
            "footer of every marketing email."
        )
    if not (from_email.strip() or workspace.email_from_address.strip()):
        blockers.append("Set a sender address (From) in the email sender settings.")
    return blockers
