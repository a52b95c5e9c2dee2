"""Token scopes. Every API router belongs to an area; a token holds `<area>:read` or
`<area>:write` per area (write includes read). The area of the caller ("me") needs none."""

from ninja import Router

AREAS: dict[str, str] = {
    "people": "Contacts, companies, consents and timelines",
    "privacy": "Privacy requests: export, erasure, objection",
    "marketing": "Campaigns, ad spend, content, landing pages, forms, PR",
    "email": "Email templates, campaign emails, sequences, segments, suppressions",
    "sales": "Deals, pipelines, activities, objections, products and quotes",
    "leads": "Lifecycle, scores, scoring rules and hand-offs",
    "analytics": "Reports, attribution and experiments",
    "research": "Surveys, feedback, personas and research notes",
    "admin": "Users, teams, webhooks and the audit log",
}
OPEN_AREA = "me"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_router_areas: dict[int, str] = {}


def all_scopes() -> list[str]:
    return [f"{area}:{access}" for area in AREAS for access in ("read", "write")]


def scope_needed(area: str, method: str) -> str | None:
    if area == OPEN_AREA:
        return None
    return f"{area}:{'read' if method.upper() in SAFE_METHODS else 'write'}"


def scopes_allow(scopes: list[str], needed: str | None) -> bool:
    if needed is None:
        return True
    area, access = needed.split(":")
    return needed in scopes or (access == "read" and f"{area}:write" in scopes)


def area_register(router: Router, area: str) -> None:
    if area != OPEN_AREA and area not in AREAS:
        raise ValueError(f"Unknown API area {area!r}.")
    _router_areas[id(router)] = area
