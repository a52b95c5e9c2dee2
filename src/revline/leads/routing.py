"""Routing decisions for new MQLs. Pure: the service feeds in plain values and locks rows.

Rules are tried in order; the first rule that matches the lead AND yields an active user wins.
A rule names a user, or a team to round-robin in; an inactive user is never picked."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

COMPANY_OWNER = "company_owner"
TERRITORY = "territory"
INDUSTRY = "industry"
ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class LeadFacts:
    country: str = ""
    company_country: str = ""
    industry: str = ""
    company_owner_id: int | None = None


def split_codes(value: str) -> list[str]:
    """'de, AT ,ch' → ['DE', 'AT', 'CH']."""
    return [part.strip().upper() for part in value.split(",") if part.strip()]


def split_names(value: str) -> list[str]:
    """'Software, Retail' → ['software', 'retail'] (industries compare case-insensitively)."""
    return [part.strip().casefold() for part in value.split(",") if part.strip()]


def rule_matches(method: str, *, countries: str, industries: str, lead: LeadFacts) -> bool:
    if method == COMPANY_OWNER:
        return lead.company_owner_id is not None
    if method == TERRITORY:
        wanted = set(split_codes(countries))
        return bool(wanted & {lead.country.upper(), lead.company_country.upper()} - {""})
    if method == INDUSTRY:
        return bool(lead.industry) and lead.industry.strip().casefold() in split_names(industries)
    return method == ROUND_ROBIN


def round_robin_pick(
    members: Sequence[int], last_assigned: int | None, active: Collection[int]
) -> int | None:
    """The next active member after `last_assigned` in `members` order, wrapping around.

    `members` is a stable order (by id), so everyone gets a turn before anyone gets a second;
    a pointer at someone who left the team starts from the member after its place by id."""
    ordered = sorted(members)
    if last_assigned is None:
        start = 0
    else:
        start = next((i for i, m in enumerate(ordered) if m > last_assigned), 0)
    for offset in range(len(ordered)):
        candidate = ordered[(start + offset) % len(ordered)]
        if candidate in active:
            return candidate
    return None


def direct_pick(
    method: str, *, rule_user: int | None, lead: LeadFacts, active: Collection[int]
) -> int | None:
    """The user a rule names directly (the company owner, or the rule's user) when active."""
    wanted = lead.company_owner_id if method == COMPANY_OWNER else rule_user
    return wanted if wanted is not None and wanted in active else None
