"""Ad spend reads: a campaign's spend rows and totals, and what a spend import would write."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from revline.core import permissions
from revline.core.models import User

from . import spend_import as parsing
from .metrics import ctr
from .models import AdSpend, Campaign, Creative, SpendImport

SPEND_PAGE_SIZE = 10
PREVIEW_ROWS = 200
PREVIEW_ERRORS = 1000


@dataclass(frozen=True)
class SpendTotals:
    rows: int
    spend: Decimal
    impressions: int
    clicks: int
    other_currency_rows: int


def campaign_spend_totals(campaign: Campaign) -> SpendTotals:
    """Sums over the campaign's spend rows; rows in another currency (only possible through
    data entered before the currency rule) are counted but not summed."""
    same = Q(currency=campaign.currency)
    figures = AdSpend.objects.filter(campaign=campaign).aggregate(
        rows=Count("pk"),
        spend=Sum("spend", filter=same),
        impressions=Sum("impressions"),
        clicks=Sum("clicks"),
        other=Count("pk", filter=~same),
    )
    return SpendTotals(
        rows=figures["rows"],
        spend=figures["spend"] or Decimal("0"),
        impressions=figures["impressions"] or 0,
        clicks=figures["clicks"] or 0,
        other_currency_rows=figures["other"],
    )


def campaign_spend_page(campaign: Campaign, page: Any) -> Page:
    """One page of the campaign's spend rows, newest day first, each with its `ctr`."""
    rows = (
        AdSpend.objects.filter(campaign=campaign)
        .select_related("creative", "spend_import")
        .order_by("-date", "source", "creative__name", "-pk")
    )
    result = Paginator(rows, SPEND_PAGE_SIZE).get_page(page)
    result.object_list = list(result.object_list)
    for row in result.object_list:
        row.ctr = ctr(row.clicks, row.impressions)  # type: ignore[attr-defined]
    return result


def campaign_creatives(campaign: Campaign) -> QuerySet[Creative]:
    return Creative.objects.filter(campaign=campaign).order_by("name")


# ---------------------------------------------------------------- imports


def spend_import_get(*, user: User, pk: int, committed: bool | None = None) -> SpendImport | None:
    """An import the user may see: their own, or any for an admin. None when there is none."""
    imports = SpendImport.objects.filter(pk=pk)
    if not permissions.is_admin(user):
        imports = imports.filter(uploaded_by=user)
    if committed is not None:
        imports = imports.filter(committed_at__isnull=not committed)
    return imports.first()


def recent_spend_imports(limit: int = 10) -> QuerySet[SpendImport]:
    return (
        SpendImport.objects.filter(committed_at__isnull=False)
        .select_related("uploaded_by")
        .order_by("-committed_at")[:limit]
    )


@dataclass
class CampaignShare:
    campaign: Campaign
    lines: int = 0
    days: int = 0
    spend: Decimal = Decimal("0")
    impressions: int = 0
    clicks: int = 0
    replaces: int = 0


@dataclass
class SpendPreview:
    spend_import: SpendImport
    layout_label: str
    needs_columns: bool = False
    file_error: str = ""
    data_rows: int = 0
    good_lines: int = 0
    summary_rows: int = 0
    skipped_rows: int = 0
    decimal_mark: str = "."
    errors: list[parsing.RowError] = field(default_factory=list)
    sample: list[tuple[parsing.ResolvedRow, Campaign, Creative | None]] = field(
        default_factory=list
    )
    totals: list[parsing.Total] = field(default_factory=list)
    unknown: list[tuple[str, str, int]] = field(default_factory=list)  # key, name, rows
    shares: list[CampaignShare] = field(default_factory=list)
    spend_by_currency: dict[str, Decimal] = field(default_factory=dict)
    impressions: int = 0
    clicks: int = 0
    replaces: int = 0
    earlier_import: SpendImport | None = None

    @property
    def shown_errors(self) -> list[parsing.RowError]:
        return self.errors[:PREVIEW_ERRORS]

    @property
    def hidden_errors(self) -> int:
        return max(0, len(self.errors) - PREVIEW_ERRORS)


def _options(draft: dict[str, Any]) -> parsing.Options:
    options = draft.get("options") or {}
    return parsing.Options(
        default_currency=str(options.get("default_currency", "")),
        date_format=str(options.get("date_format", "iso")),
        decimal_mark=str(options.get("decimal_mark", "")),
    )


@dataclass(frozen=True)
class ColumnsStep:
    headers: list[str]
    samples: list[list[str]]
    guess: dict[str, int]
    header_line: int


def spend_import_columns(spend_import: SpendImport) -> ColumnsStep:
    """The generic file's header and first rows, for the column-mapping step."""
    draft = spend_import.column_map
    table = parsing.read_table(draft["text"])
    position = draft["header_position"]
    line, headers = table.rows[position]
    samples = [cells for _, cells in table.rows[position + 1 : position + 4]]
    guess = draft.get("columns") or parsing.guess_generic_columns(headers)
    return ColumnsStep(
        headers=headers,
        samples=samples,
        guess={k: int(v) for k, v in guess.items()},
        header_line=line,
    )


def spend_import_preview(spend_import: SpendImport, *, today: date | None = None) -> SpendPreview:
    """Parse the draft again and say exactly what committing it would write. Writes nothing."""
    draft = spend_import.column_map
    preview = SpendPreview(
        spend_import=spend_import,
        layout_label=parsing.LAYOUT_LABELS.get(spend_import.layout, spend_import.layout),
    )
    if "text" not in draft:
        preview.file_error = "This import was already committed or discarded."
        return preview
    if not draft.get("mapped"):
        preview.needs_columns = True
        return preview
    try:
        table = parsing.read_table(draft["text"])
        parsed = parsing.parse(
            table,
            layout=spend_import.layout,
            header_position=int(draft["header_position"]),
            options=_options(draft),
            today=today or timezone.localdate(),
            columns={k: int(v) for k, v in (draft.get("columns") or {}).items()},
        )
    except parsing.FileError as exc:
        preview.file_error = str(exc)
        return preview
    campaigns = list(Campaign.objects.order_by("pk"))
    by_id = {c.pk: c for c in campaigns}
    creatives = list(Creative.objects.only("pk", "campaign_id", "name"))
    resolution = parsing.resolve(
        parsed.rows,
        campaigns=[
            parsing.CampaignRef(
                id=c.pk, name=c.name, utm_campaign=c.utm_campaign, currency=c.currency
            )
            for c in campaigns
        ],
        creatives=[
            parsing.CreativeRef(id=c.pk, campaign_id=c.campaign_id, name=c.name) for c in creatives
        ],
        campaign_map={k: int(v) for k, v in (draft.get("campaign_map") or {}).items()},
    )
    creative_by_id = {c.pk: c for c in creatives}
    preview.data_rows = len(parsed.rows) + len(parsed.errors) + parsed.summary_rows
    preview.summary_rows = parsed.summary_rows
    preview.skipped_rows = resolution.skipped_rows
    preview.decimal_mark = parsed.decimal_mark
    preview.errors = sorted(parsed.errors + resolution.errors, key=lambda e: e.line)
    preview.good_lines = len(resolution.rows)
    preview.unknown = sorted(
        ((key, name, count) for key, (name, count) in resolution.unknown.items()),
        key=lambda item: (-item[2], item[1]),
    )
    preview.sample = [
        (row, by_id[row.campaign_id], creative_by_id.get(row.creative_id or 0))
        for row in resolution.rows[:PREVIEW_ROWS]
    ]
    preview.totals = parsing.aggregate(resolution.rows)
    _summarize(preview, by_id)
    preview.earlier_import = (
        SpendImport.objects.filter(file_sha256=spend_import.file_sha256, committed_at__isnull=False)
        .exclude(pk=spend_import.pk)
        .order_by("-committed_at")
        .first()
    )
    return preview


def _summarize(preview: SpendPreview, campaigns: dict[int, Campaign]) -> None:
    shares: dict[int, CampaignShare] = {}
    days: dict[int, set[date]] = defaultdict(set)
    for total in preview.totals:
        share = shares.setdefault(
            total.campaign_id, CampaignShare(campaign=campaigns[total.campaign_id])
        )
        share.lines += total.lines
        share.spend += total.spend
        share.impressions += total.impressions
        share.clicks += total.clicks
        days[total.campaign_id].add(total.day)
        preview.spend_by_currency[total.currency] = (
            preview.spend_by_currency.get(total.currency, Decimal("0")) + total.spend
        )
        preview.impressions += total.impressions
        preview.clicks += total.clicks
    if preview.totals:
        keys = {(t.campaign_id, t.creative_id, t.day) for t in preview.totals}
        all_days = [t.day for t in preview.totals]
        for campaign_id, creative_id, day in AdSpend.objects.filter(
            campaign_id__in=shares.keys(),
            source=preview.spend_import.layout,
            date__gte=min(all_days),
            date__lte=max(all_days),
        ).values_list("campaign_id", "creative_id", "date"):
            if (campaign_id, creative_id, day) in keys:
                shares[campaign_id].replaces += 1
                preview.replaces += 1
    for campaign_id, share in shares.items():
        share.days = len(days[campaign_id])
    preview.shares = sorted(shares.values(), key=lambda s: s.campaign.name.casefold())
