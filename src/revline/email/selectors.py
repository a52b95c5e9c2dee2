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
