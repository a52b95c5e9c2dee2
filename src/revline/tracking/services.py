import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from revline.audit.services import audit_delete, audit_update, snapshot
from revline.campaigns.models import Campaign, Creative
from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import tracking_rules
from revline.leads.scoring_services import kinds_scored, touchpoints_score
from revline.people.models import Contact

from .models import Touchpoint, TouchpointKind, TrackedLink, Visitor

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
_url_validator = URLValidator(schemes=["http", "https"])


def validate_destination(url: str) -> str:
    url = url.strip()
    if any(ch in url for ch in "\r\n\t\\") or any(ord(ch) < 32 for ch in url):
        raise ValidationError(
            {"destination_url": "The URL contains characters that are not allowed."}
        )
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise ValidationError(
            {"destination_url": "Enter a full http:// or https:// address."}
        ) from exc
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError(
            {"destination_url": "Addresses with a user name or password are not allowed."}
        )
    return url


def link_utm_values(link: TrackedLink) -> dict[str, str]:
    campaign = link.campaign
    values = {
        "utm_source": campaign.utm_source,
        "utm_medium": campaign.utm_medium,
        "utm_campaign": campaign.utm_campaign,
        "utm_content": link.utm_content or campaign.utm_content,
        "utm_term": link.utm_term or campaign.utm_term,
    }
    return {k: v for k, v in values.items() if v}


LINK_VISITOR_PARAM = "rl_vid"


def redirect_url(link: TrackedLink, *, visitor_id: uuid.UUID | None = None) -> str:
    """The stored destination with the link's UTM values; UTM keys already in it are replaced.

    With a visitor id, destinations on the workspace's own site origins also get rl_vid=<id>, so
    the website snippet there knows the visitor who clicked (its cookie lives on another domain).
    No other site ever receives the id.
    """
    parts = urlsplit(link.destination_url)
    params = dict(link_utm_values(link))
    if visitor_id is not None and tracking_rules().allows(f"{parts.scheme}://{parts.netloc}"):
        params[LINK_VISITOR_PARAM] = str(visitor_id)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def link_create(
    *,
    actor: User | None,
    campaign: Campaign,
    destination_url: str,
    label: str = "",
    utm_content: str = "",
    utm_term: str = "",
) -> TrackedLink:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor))
    link = TrackedLink(
        token=secrets.token_urlsafe(16),
        campaign=campaign,
        destination_url=validate_destination(destination_url),
        label=label.strip(),
        utm_content=utm_content.strip().lower(),
        utm_term=utm_term.strip().lower(),
    )
    link.full_clean()
    link.save()
    return link


LINK_UPDATABLE = frozenset({"label", "destination_url", "utm_content", "utm_term", "is_active"})
LINK_DENIED = "Only marketers and admins manage tracked links."


def _link_creative_name(link: TrackedLink) -> str | None:
    creative = Creative.objects.filter(link=link).only("name").first()
    return creative.name if creative is not None else None


@transaction.atomic
def link_update(*, actor: User, link: TrackedLink, **fields: Any) -> TrackedLink:
    """Change a link's label, destination, UTM overrides or whether it redirects.

    The token never changes: the published address keeps working. A creative's link keeps the
    destination and utm_content its creative set (edit the creative instead); once clicks are
    recorded, utm_content and utm_term are fixed too, because reports group the clicks by them.
    Works on a fresh locked copy, so on any error neither the database nor `link` changes."""
    permissions.require(permissions.can_manage_marketing(actor), LINK_DENIED)
    unknown = set(fields) - LINK_UPDATABLE
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = (
        TrackedLink.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=link.pk)
    )
    before = snapshot(updated)
    values: dict[str, Any] = {}
    if "label" in fields:
        values["label"] = fields["label"].strip()
    if "destination_url" in fields:
        values["destination_url"] = validate_destination(fields["destination_url"])
    for key in ("utm_content", "utm_term"):
        if key in fields:
            values[key] = fields[key].strip().lower()
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    changed = {key for key, value in values.items() if getattr(updated, key) != value}
    errors: dict[str, str] = {}
    creative = _link_creative_name(updated)
    if creative is not None:
        for key in changed & {"destination_url", "utm_content"}:
            errors[key] = (
                f"This link belongs to the creative “{creative}”, which sets it; "
                "change the creative instead."
            )
    if changed & {"utm_content", "utm_term"} and updated.touchpoints.exists():
        for key in changed & {"utm_content", "utm_term"}:
            errors.setdefault(
                key, "This link has recorded clicks that reports group by this value; keep it."
            )
    if errors:
        raise ValidationError(errors)
    for key, value in values.items():
        setattr(updated, key, value)
    updated.full_clean()
    updated.save()
    audit_update(actor=actor, obj=updated, before=before)
    return updated


@transaction.atomic
def link_delete(*, actor: User, link: TrackedLink) -> None:
    """Delete a link that nothing relies on yet. Once clicks are recorded they feed reports, and
    a creative's link is its call to action: deactivate those instead (is_active false), which
    stops the redirect and keeps the history."""
    permissions.require(permissions.can_manage_marketing(actor), LINK_DENIED)
    creative = _link_creative_name(link)
    if creative is not None:
        raise ValidationError(
            {
                "link": f"This link is the call to action of the creative “{creative}”; "
                "deactivate it instead."
            }
        )
    if link.touchpoints.exists():
        raise ValidationError(
            {"link": "This link has recorded clicks that reports rely on; deactivate it instead."}
        )
    audit_delete(actor=actor, obj=link)
    link.delete()


def link_get_active(*, token: str) -> TrackedLink | None:
    return (
        TrackedLink.objects.select_related("campaign", "creative")
        .filter(token=token, is_active=True)
        .first()
    )


def parse_visitor_id(raw: str | None) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw[:36])
    except ValueError:
        return None


def visitor_touch(*, visitor_id: uuid.UUID | None, at: datetime) -> Visitor:
    """Return the visitor for a cookie id (creating it), or a new visitor when there is no valid id."""
    if visitor_id is not None:
        updated = Visitor.objects.filter(pk=visitor_id).update(last_seen_at=at)
        if updated:
            return Visitor.objects.get(pk=visitor_id)
    return Visitor.objects.create(id=uuid.uuid4(), first_seen_at=at, last_seen_at=at)


@dataclass(frozen=True)
class RequestInfo:
    url: str = ""
    referrer: str = ""
    user_agent: str = ""


def touchpoint_record(
    *,
    kind: str,
    visitor: Visitor | None,
    contact: Contact | None = None,
    campaign: Campaign | None = None,
    link: TrackedLink | None = None,
    creative: Creative | None = None,
    utm: dict[str, str] | None = None,
    info: RequestInfo = RequestInfo(),
    occurred_at: datetime | None = None,
    params: dict[str, object] | None = None,
) -> Touchpoint:
    utm = utm or {}
    if contact is None and visitor is not None:
        contact = visitor.contact
    touchpoint = Touchpoint.objects.create(
        kind=kind,
        occurred_at=occurred_at or timezone.now(),
        visitor=visitor,
        contact=contact,
        campaign=campaign,
        link=link,
        creative=creative,
        channel=campaign.channel if campaign else "",
        url=info.url[:2000],
        referrer=info.referrer[:2000],
        user_agent=info.user_agent[:500],
        params=params or {},
        **{k: str(utm.get(k, ""))[:100] for k in UTM_KEYS},
    )
    if contact is not None:
        touchpoints_score(touchpoints=[touchpoint])
    return touchpoint


@transaction.atomic
def click_record(*, link: TrackedLink, visitor_id: uuid.UUID | None, info: RequestInfo) -> Visitor:
    now = timezone.now()
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=visitor,
        campaign=link.campaign,
        link=link,
        creative=getattr(link, "creative", None),
        utm=link_utm_values(link),
        info=info,
        occurred_at=now,
    )
    return visitor


def campaign_for_utm(utm: dict[str, str]) -> Campaign | None:
    """The campaign whose utm_campaign (and source, when given) matches, if exactly one does."""
    name = utm.get("utm_campaign", "")
    if not name:
        return None
    candidates = Campaign.objects.filter(utm_campaign__iexact=name)
    if source := utm.get("utm_source"):
        candidates = candidates.filter(utm_source__iexact=source)
    found = list(candidates[:2])
    return found[0] if len(found) == 1 else None


@transaction.atomic
def visitor_identify(*, visitor: Visitor, contact: Contact) -> int:
    """Tie the visitor to the contact and attach its anonymous touchpoints. Returns how many moved."""
    if visitor.contact_id != contact.pk:
        visitor.contact = contact
        visitor.save(update_fields=["contact"])
    anonymous = Touchpoint.objects.filter(visitor=visitor, contact__isnull=True)
    scored = list(anonymous.filter(kind__in=kinds_scored()).values_list("pk", flat=True))
    moved = anonymous.update(contact=contact)
    if scored:
        touchpoints_score(touchpoint_ids=scored)
    return moved
