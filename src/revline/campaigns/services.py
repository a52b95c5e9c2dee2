"""Campaign writes, ad spend writes and spend imports; the UTM builder's rules as pure
functions (no ORM) at the top."""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.segments.models import Segment

from . import spend_import as parsing
from .currencies import currency_error
from .models import (
    AdSpend,
    Campaign,
    CampaignStatus,
    Channel,
    Creative,
    Objective,
    SpendImport,
    SpendSource,
)
from .spend_selectors import spend_import_preview

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


MARKETING_ONLY = "Only marketers and admins manage campaigns."


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor), MARKETING_ONLY)


def _normalize_currency(currency: str) -> str:
    return currency.strip().upper()


def _check_currency(currency: str) -> None:
    if (reason := currency_error(currency)) is not None:
        raise ValidationError({"currency": reason})


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
    objective: str = Objective.LEADS,
    audience: str = "",
    audience_segment: Segment | None = None,
    goal_leads: int | None = None,
    goal_mqls: int | None = None,
    goal_sqls: int | None = None,
    goal_pipeline: Decimal | None = None,
    goal_revenue: Decimal | None = None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_content: str = "",
    utm_term: str = "",
) -> Campaign:
    """Create a validated campaign whose UTM values are normalized and completed with defaults.

    `actor=None` is for system callers (demo data, imports); people need can_manage_marketing.
    """
    _require_marketer(actor)
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
        objective=objective,
        audience=audience.strip(),
        audience_segment=audience_segment,
        goal_leads=goal_leads,
        goal_mqls=goal_mqls,
        goal_sqls=goal_sqls,
        goal_pipeline=goal_pipeline,
        goal_revenue=goal_revenue,
        **utm,
    )
    _check_currency(campaign.currency)
    campaign.full_clean()
    campaign.save()
    audit_create(actor=actor, obj=campaign)
    return campaign


GOAL_FIELDS = ("goal_leads", "goal_mqls", "goal_sqls", "goal_pipeline", "goal_revenue")
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
        "objective",
        "audience",
        "audience_segment",
        *GOAL_FIELDS,
        *UTM_FIELDS,
    }
)


@transaction.atomic
def campaign_update(*, actor: User | None, campaign: Campaign, **fields: Any) -> Campaign:
    """Change a campaign; the same UTM rules as on creation apply to the result.

    Works on a fresh copy, so on any error neither the database nor `campaign` changes. The
    currency cannot change once spend is recorded in it: Revline does not convert currencies.
    """
    _require_marketer(actor)
    unknown = set(fields) - CAMPAIGN_UPDATABLE
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = snapshot(updated)
    original_currency = updated.currency
    for field, value in fields.items():
        setattr(updated, field, value)
    updated.name = (updated.name or "").strip()
    updated.description = (updated.description or "").strip()
    updated.audience = (updated.audience or "").strip()
    updated.currency = _normalize_currency(updated.currency or "")
    _check_currency(updated.currency)
    if updated.currency != original_currency and updated.spend.exists():
        raise ValidationError(
            {
                "currency": "Spend is already recorded in this campaign's currency; delete it "
                "before changing the currency (Revline does not convert currencies)."
            }
        )
    utm = utm_complete(
        channel=updated.channel,
        name=updated.name,
        values={key: getattr(updated, key) for key in UTM_FIELDS},
    )
    for key, value in utm.items():
        setattr(updated, key, value)
    updated.full_clean()
    updated.save()
    audit_update(actor=actor, obj=updated, before=before)
    return updated


@transaction.atomic
def campaign_delete(*, actor: User | None, campaign: Campaign) -> None:
    """Delete a campaign that has no history yet. Once touchpoints or spend are recorded the
    campaign feeds attribution and ROI, so deleting it is refused: mark it completed instead."""
    _require_marketer(actor)
    if campaign.touchpoints.exists() or campaign.spend.exists():
        raise ValidationError(
            {
                "campaign": "This campaign has recorded touchpoints or spend that reports rely "
                "on; set its status to completed instead."
            }
        )
    audit_delete(actor=actor, obj=campaign)
    campaign.delete()


# ---------------------------------------------------------------- ad spend


def _spend_errors(
    *,
    campaign: Campaign,
    day: date,
    spend: Decimal,
    currency: str,
    creative: Creative | None,
    today: date,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if (reason := currency_error(currency)) is not None:
        errors["currency"] = reason
    elif currency != campaign.currency:
        errors["currency"] = (
            f"This campaign's figures are in {campaign.currency}; enter the spend in "
            f"{campaign.currency} (Revline does not convert currencies)."
        )
    if creative is not None and creative.campaign_id != campaign.pk:
        errors["creative"] = "The creative must belong to this campaign."
    if spend < 0:
        errors["spend"] = "Spend cannot be negative."
    if day < parsing.EARLIEST:
        errors["date"] = "Enter a date in 2000 or later."
    elif day > today + timedelta(days=1):
        errors["date"] = "Spend cannot be dated in the future."
    return errors


def _same_key(*, campaign: Campaign, creative: Creative | None, day: date, source: str) -> Any:
    return AdSpend.objects.filter(campaign=campaign, creative=creative, date=day, source=source)


@transaction.atomic
def ad_spend_record(
    *,
    actor: User | None,
    campaign: Campaign,
    day: date,
    spend: Decimal,
    currency: str = "",
    impressions: int = 0,
    clicks: int = 0,
    creative: Creative | None = None,
    source: str = SpendSource.MANUAL,
) -> tuple[AdSpend, bool]:
    """Record one day's spend and reach; returns (row, created).

    Upserts by (campaign, creative, day, source): recording the same day again replaces its
    figures instead of adding to them. The currency must be the campaign's (blank means it).
    """
    _require_marketer(actor)
    currency = _normalize_currency(currency or campaign.currency)
    errors = _spend_errors(
        campaign=campaign,
        day=day,
        spend=spend,
        currency=currency,
        creative=creative,
        today=timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    row = (
        _same_key(campaign=campaign, creative=creative, day=day, source=source)
        .select_for_update()
        .first()
    )
    created = row is None
    if row is None:
        row = AdSpend(campaign=campaign, creative=creative, date=day, source=source)
    row.spend, row.currency = spend, currency
    row.impressions, row.clicks = impressions, clicks
    row.full_clean(validate_constraints=False)
    row.save()
    return row, created


@transaction.atomic
def ad_spend_update(
    *,
    actor: User | None,
    ad_spend: AdSpend,
    day: date,
    spend: Decimal,
    currency: str,
    impressions: int,
    clicks: int,
    creative: Creative | None,
) -> AdSpend:
    """Correct a spend row. Moving it onto a day that already has a row of the same source and
    creative is refused (that row should be edited instead); on error nothing changes."""
    _require_marketer(actor)
    row = (
        AdSpend.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=ad_spend.pk)
    )
    currency = _normalize_currency(currency or row.campaign.currency)
    errors = _spend_errors(
        campaign=row.campaign,
        day=day,
        spend=spend,
        currency=currency,
        creative=creative,
        today=timezone.localdate(),
    )
    clash = (
        _same_key(campaign=row.campaign, creative=creative, day=day, source=row.source)
        .exclude(pk=row.pk)
        .exists()
    )
    if clash and "date" not in errors:
        errors["date"] = (
            "This campaign already has a spend row for that day"
            + (" and creative" if creative else "")
            + " from the same source: edit that row instead."
        )
    if errors:
        raise ValidationError(errors)
    row.date, row.creative, row.spend, row.currency = day, creative, spend, currency
    row.impressions, row.clicks = impressions, clicks
    row.full_clean(validate_constraints=False)
    row.save()
    return row


@transaction.atomic
def ad_spend_delete(*, actor: User | None, ad_spend: AdSpend) -> None:
    _require_marketer(actor)
    AdSpend.objects.filter(pk=ad_spend.pk).delete()


# ---------------------------------------------------------------- spend imports

DRAFT_LIFETIME = timedelta(days=1)
LAYOUT_AUTO = "auto"


def _draft(spend_import: SpendImport) -> dict[str, Any]:
    draft = spend_import.column_map
    if spend_import.committed_at is not None or not isinstance(draft, dict) or "text" not in draft:
        raise ValidationError("This import was already committed or discarded.")
    return draft


def _layout_mismatch(layout: str) -> str:
    spec = parsing.LAYOUTS[layout]
    headers = ", ".join(f"“{spec.columns[name][0].replace(chr(92), '')}”" for name in spec.required)
    return (
        f"The file's columns do not look like a {spec.label} export (it needs {headers}). "
        "Choose “Other (CSV)” to map the columns yourself."
    )


@transaction.atomic
def spend_import_start(
    *,
    actor: User | None,
    file_name: str,
    data: bytes,
    layout: str = LAYOUT_AUTO,
    default_currency: str = "",
) -> SpendImport:
    """Read an uploaded export and keep it as an uncommitted draft for the preview.

    No spend is written here. The draft keeps the file's text (at most MAX_FILE_BYTES) until it
    is committed or discarded; drafts older than a day are deleted on the next upload.
    Raises ValidationError naming `file`, `layout` or `currency` when the file is refused.
    """
    _require_marketer(actor)
    default_currency = _normalize_currency(default_currency or settings.CURRENCY)
    if (reason := currency_error(default_currency)) is not None:
        raise ValidationError({"currency": reason})
    if layout != LAYOUT_AUTO and layout not in parsing.LAYOUT_LABELS:
        raise ValidationError({"layout": "Choose one of the listed layouts."})
    try:
        text = parsing.decode(data)
        table = parsing.read_table(text)
    except parsing.FileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    detected = parsing.detect_layout(table)
    if layout == LAYOUT_AUTO:
        layout = detected[0] if detected else parsing.GENERIC
    if layout == parsing.GENERIC:
        position = parsing.generic_header_position(table)
    elif detected and detected[0] == layout:
        position = detected[1]
    else:
        raise ValidationError({"layout": _layout_mismatch(layout)})
    SpendImport.objects.filter(
        committed_at__isnull=True, uploaded_at__lt=timezone.now() - DRAFT_LIFETIME
    ).delete()
    return SpendImport.objects.create(
        file_name=(file_name.strip() or "upload.csv")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        layout=layout,
        uploaded_by=actor,
        column_map={
            "text": text,
            "header_position": position,
            "columns": {},
            "mapped": layout != parsing.GENERIC,
            "options": {
                "default_currency": default_currency,
                "date_format": "iso",
                "decimal_mark": "",
            },
            "campaign_map": {},
        },
    )


@transaction.atomic
def spend_import_set_columns(
    *,
    actor: User | None,
    spend_import: SpendImport,
    columns: Mapping[str, int | None],
    date_format: str = "iso",
    decimal_mark: str = "",
) -> SpendImport:
    """Say which column of a generic file holds which figure. Date, campaign and spend are
    required; each column may be used once."""
    _require_marketer(actor)
    locked = SpendImport.objects.select_for_update().get(pk=spend_import.pk)
    draft = _draft(locked)
    table = parsing.read_table(draft["text"])
    headers = table.rows[draft["header_position"]][1]
    chosen = {name: index for name, index in columns.items() if index is not None}
    errors: dict[str, str] = {}
    for name, index in chosen.items():
        if name not in parsing.FIELDS or name == "date_end":
            errors["__all__"] = f"Unknown field {name!r}."
        elif not 0 <= index < len(headers):
            errors[name] = "Choose one of the file's columns."
    for name in parsing.GENERIC_REQUIRED:
        if name not in chosen:
            errors[name] = f"Choose the column that holds the {parsing.FIELD_LABELS[name].lower()}."
    used: dict[int, str] = {}
    for name, index in chosen.items():
        if index in used and name not in errors:
            errors[name] = f"This column is already used for {parsing.FIELD_LABELS[used[index]]}."
        used.setdefault(index, name)
    if date_format not in parsing.DATE_FORMATS:
        errors["date_format"] = "Choose one of the listed date formats."
    if decimal_mark not in ("", ".", ","):
        errors["decimal_mark"] = "Choose a decimal mark."
    if errors:
        raise ValidationError(errors)
    draft["columns"] = chosen
    draft["mapped"] = True
    draft["options"] = {
        **draft["options"],
        "date_format": date_format,
        "decimal_mark": decimal_mark,
    }
    locked.column_map = draft
    locked.save(update_fields=["column_map"])
    return locked


@transaction.atomic
def spend_import_map_campaigns(
    *, actor: User | None, spend_import: SpendImport, choices: Mapping[str, int]
) -> SpendImport:
    """Tie platform campaign names (keys as `spend_import.name_key` makes them) to Revline
    campaigns by id, or to SKIP (0) to leave their rows out."""
    _require_marketer(actor)
    locked = SpendImport.objects.select_for_update().get(pk=spend_import.pk)
    draft = _draft(locked)
    wanted = {pk for pk in choices.values() if pk != parsing.SKIP}
    known = set(Campaign.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if wanted - known:
        raise ValidationError("Choose campaigns from the list.")
    mapping = dict(draft.get("campaign_map") or {})
    for key, campaign_id in choices.items():
        mapping[parsing.name_key(key)[: parsing.MAX_NAME]] = campaign_id
    draft["campaign_map"] = mapping
    locked.column_map = draft
    locked.save(update_fields=["column_map"])
    return locked


@transaction.atomic
def spend_import_commit(*, actor: User | None, spend_import: SpendImport) -> SpendImport:
    """Write every good row of the draft in one transaction and mark the import committed.

    Rows are summed per (campaign, creative, day) and upserted under the import's source, so
    committing the same file again replaces those days' figures instead of doubling them. Bad
    rows are left out; if no row is good, nothing is written.
    """
    _require_marketer(actor)
    locked = SpendImport.objects.select_for_update().get(pk=spend_import.pk)
    draft = _draft(locked)
    preview = spend_import_preview(locked)
    if preview.needs_columns:
        raise ValidationError("Map the file's columns first.")
    if not preview.totals:
        raise ValidationError("No row can be imported: correct the file or map its campaigns.")
    if any(total.spend > parsing.MAX_SPEND for total in preview.totals):
        raise ValidationError("A day's total spend is too large to store.")
    source = locked.layout
    days = [total.day for total in preview.totals]
    existing = {
        (row.campaign_id, row.creative_id, row.date): row
        for row in AdSpend.objects.select_for_update().filter(
            campaign_id__in={t.campaign_id for t in preview.totals},
            source=source,
            date__gte=min(days),
            date__lte=max(days),
        )
    }
    to_create, to_update = [], []
    for total in preview.totals:
        row = existing.get((total.campaign_id, total.creative_id, total.day))
        if row is None:
            row = AdSpend(
                campaign_id=total.campaign_id,
                creative_id=total.creative_id,
                date=total.day,
                source=source,
            )
            to_create.append(row)
        else:
            to_update.append(row)
        row.spend, row.currency = total.spend, total.currency
        row.impressions, row.clicks = total.impressions, total.clicks
        row.spend_import = locked
    now = timezone.now()
    for row in to_update:
        row.updated_at = now
    try:
        with transaction.atomic():
            AdSpend.objects.bulk_create(to_create, batch_size=1000)
            AdSpend.objects.bulk_update(
                to_update,
                ["spend", "currency", "impressions", "clicks", "spend_import", "updated_at"],
                batch_size=1000,
            )
    except IntegrityError as exc:
        raise ValidationError(
            "Another import wrote the same days at the same moment; commit again."
        ) from exc
    locked.committed_at = now
    locked.row_count = len(preview.totals)
    locked.error_count = len(preview.errors)
    locked.column_map = {key: value for key, value in draft.items() if key != "text"}
    locked.column_map["created"] = len(to_create)
    locked.column_map["replaced"] = len(to_update)
    locked.save(update_fields=["committed_at", "row_count", "error_count", "column_map"])
    return locked


@transaction.atomic
def spend_import_discard(*, actor: User | None, spend_import: SpendImport) -> None:
    """Delete an uncommitted draft; committed imports stay as the record of what was written."""
    _require_marketer(actor)
    SpendImport.objects.filter(pk=spend_import.pk, committed_at__isnull=True).delete()
