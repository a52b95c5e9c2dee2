"""Campaign writes, and the UTM builder's rules as pure functions (no ORM) above them."""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from revline.core import permissions
from revline.core.models import User

from .models import Campaign, CampaignStatus, Channel

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
UTM_MAX_LENGTH = 100

# (utm_source, utm_medium) filled in when the marketer leaves them blank. Direct traffic carries
# no UTM values by definition, so it gets none.
CHANNEL_UTM_DEFAULTS: dict[str, tuple[str, str]] = {
    Channel.PAID_SEARCH: ("google", "cpc"),
    Channel.PAID_SOCIAL: ("linkedin", "paid_social"),
    Channel.DISPLAY: ("display", "banner"),
    Channel.EMAIL: ("newsletter", "email"),
    Channel.ORGANIC_SOCIAL: ("social", "organic"),
    Channel.CONTENT: ("blog", "organic"),
    Channel.PR: ("press", "referral"),
    Channel.EVENTS: ("event", "offline"),
    Channel.REFERRAL: ("referral", "referral"),
    Channel.DIRECT: ("", ""),
    Channel.PARTNER: ("partner", "referral"),
}

# Mediums that analytics tools group under each channel, the usual one first; anything else
# earns a warning.
CHANNEL_MEDIUMS: dict[str, tuple[str, ...]] = {
    Channel.PAID_SEARCH: ("cpc", "ppc", "paid_search", "paidsearch", "sem"),
    Channel.PAID_SOCIAL: ("paid_social", "cpc", "cpm", "paidsocial", "social_paid", "paid"),
    Channel.DISPLAY: ("banner", "display", "cpm", "programmatic", "retargeting"),
    Channel.EMAIL: ("email", "newsletter", "e-mail", "e_mail"),
    Channel.ORGANIC_SOCIAL: ("organic", "social", "organic_social"),
    Channel.CONTENT: ("organic", "blog", "content", "seo"),
    Channel.PR: ("referral", "pr", "press"),
    Channel.EVENTS: ("offline", "event", "events"),
    Channel.REFERRAL: ("referral",),
    Channel.PARTNER: ("referral", "partner", "affiliate"),
}


def utm_clean(value: str) -> str:
    """UTM values are case-sensitive in most analytics tools, so they are stored lower-case."""
    return value.strip().lower()[:UTM_MAX_LENGTH]


def utm_slug(name: str) -> str:
    return slugify(name)[:UTM_MAX_LENGTH].strip("-")


def utm_defaults(channel: str) -> tuple[str, str]:
    return CHANNEL_UTM_DEFAULTS.get(channel, ("", ""))


def utm_complete(*, channel: str, name: str, values: Mapping[str, str]) -> dict[str, str]:
    """All five UTM values, trimmed and lower-cased; blank source/medium/campaign get defaults."""
    cleaned = {key: utm_clean(values.get(key) or "") for key in UTM_FIELDS}
    source, medium = utm_defaults(channel)
    cleaned["utm_source"] = cleaned["utm_source"] or source
    cleaned["utm_medium"] = cleaned["utm_medium"] or medium
    cleaned["utm_campaign"] = cleaned["utm_campaign"] or utm_slug(name)
    return cleaned


def utm_warnings(
    *, channel: str, values: Mapping[str, str], campaigns_sharing: Sequence[str] = ()
) -> list[str]:
    """Non-blocking advice about UTM values that will make reports misleading.

    `campaigns_sharing` names the other campaigns that use the same utm_campaign.
    """
    warnings = []
    label = Channel(channel).label if channel in Channel.values else channel
    medium = values.get("utm_medium", "")
    expected = CHANNEL_MEDIUMS.get(channel)
    if medium and expected is not None and medium not in expected:
        warnings.append(
            f"utm_medium “{medium}” is unusual for {label} campaigns "
            f"(expected e.g. {' or '.join(expected[:2])}); "
            "analytics tools may group its visits under another channel."
        )
    if channel == Channel.DIRECT and (values.get("utm_source") or medium):
        warnings.append("Direct campaigns normally carry no utm_source or utm_medium.")
    for key in UTM_FIELDS:
        if " " in values.get(key, ""):
            warnings.append(f"{key} contains spaces; use - or _ so links stay readable.")
    if not values.get("utm_campaign"):
        warnings.append("utm_campaign is empty: visits cannot be matched to this campaign.")
    if campaigns_sharing:
        names = ", ".join(f"“{name}”" for name in campaigns_sharing)
        warnings.append(
            f"utm_campaign “{values.get('utm_campaign', '')}” is also used by {names}; "
            "visits tagged with it cannot be credited reliably."
        )
    return warnings


def _normalize_currency(currency: str) -> str:
    return currency.strip().upper()


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    name: str,
    channel: str,
    status: str = CampaignStatus.PLANNED,
    description: str = "",
    start_date: date | None = None,
    end_date: date | None = None,
    budget: Decimal = Decimal("0"),
    currency: str = "",
    owner: User | None = None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_content: str = "",
    utm_term: str = "",
) -> Campaign:
    """Create a validated campaign whose UTM values are normalized and completed with defaults.

    `actor=None` is for system callers (demo data, imports); people need can_manage_marketing.
    """
    if actor is not None:
        permissions.require(
            permissions.can_manage_marketing(actor), "Only marketers and admins manage campaigns."
        )
    name = name.strip()
    utm = utm_complete(
        channel=channel,
        name=name,
        values={
            "utm_source": utm_source,
            "utm_medium": utm_medium,
            "utm_campaign": utm_campaign,
            "utm_content": utm_content,
            "utm_term": utm_term,
        },
    )
    campaign = Campaign(
        name=name,
        channel=channel,
        status=status,
        description=description.strip(),
        start_date=start_date,
        end_date=end_date,
        budget=budget,
        currency=_normalize_currency(currency or settings.CURRENCY),
        owner=owner,
        **utm,
    )
    campaign.full_clean()
    campaign.save()
    return campaign


CAMPAIGN_UPDATABLE = frozenset(
    {
        "name",
        "channel",
        "status",
        "description",
        "start_date",
        "end_date",
        "budget",
        "currency",
        "owner",
        *UTM_FIELDS,
    }
)


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, **fields: Any) -> Campaign:
    """Change a campaign; the same UTM rules as on creation apply to the result.

    Works on a fresh copy, so on any error neither the database nor `campaign` changes.
    """
    if actor is not None:
        permissions.require(
            permissions.can_manage_marketing(actor), "Only marketers and admins manage campaigns."
        )
    unknown = set(fields) - CAMPAIGN_UPDATABLE
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for field, value in fields.items():
        setattr(updated, field, value)
    updated.name = (updated.name or "").strip()
    updated.description = (updated.description or "").strip()
    updated.currency = _normalize_currency(updated.currency or "")
    utm = utm_complete(
        channel=updated.channel,
        name=updated.name,
        values={key: getattr(updated, key) for key in UTM_FIELDS},
    )
    for key, value in utm.items():
        setattr(updated, key, value)
    updated.full_clean()
    updated.save()
    return updated
