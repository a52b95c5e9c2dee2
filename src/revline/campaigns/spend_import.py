"""Ad-platform spend exports turned into dated rows: pure functions, no ORM.

The steps: `decode` the bytes, `read_table` (finds the delimiter), `detect_layout` (finds the
header row under any report preamble and recognises Google Ads, Meta Ads Manager or LinkedIn
Campaign Manager), `parse` every data row into a SpendRow or a RowError naming its line and the
reason, then `resolve` campaign and creative names against Revline's campaigns and `aggregate`
the rows to one figure per campaign, creative and day.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.text import slugify

from .currencies import currency_error

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_NAME = 200  # Campaign.name and Creative.name
MAX_CELL = 1000
MAX_SPEND = Decimal("999999999999.99")  # AdSpend.spend: 14 digits, 2 decimals
MAX_COUNT = 10**15
HEADER_SCAN_ROWS = 20
EARLIEST = date(2000, 1, 1)

GOOGLE_ADS = "google_ads"
META_ADS = "meta_ads"
LINKEDIN_ADS = "linkedin_ads"
GENERIC = "generic"

FIELDS = ("date", "date_end", "campaign", "creative", "impressions", "clicks", "spend", "currency")
FIELD_LABELS = {
    "date": "Date",
    "date_end": "End date",
    "campaign": "Campaign",
    "creative": "Ad / creative",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "spend": "Spend",
    "currency": "Currency",
}
GENERIC_REQUIRED = ("date", "campaign", "spend")

DATE_FORMATS = {
    "iso": ("%Y-%m-%d", "YYYY-MM-DD"),
    "dmy_slash": ("%d/%m/%Y", "DD/MM/YYYY"),
    "mdy_slash": ("%m/%d/%Y", "MM/DD/YYYY"),
    "dmy_dot": ("%d.%m.%Y", "DD.MM.YYYY"),
}


class FileError(ValueError):
    """The whole file is refused; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    source: str
    label: str
    # field -> accepted headers, each a regular expression matched against the normalised header.
    # A named group `currency` takes the currency from the header, as Meta writes it.
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    date_formats: tuple[str, ...]


LAYOUTS: dict[str, Layout] = {
    GOOGLE_ADS: Layout(
        source=GOOGLE_ADS,
        label="Google Ads",
        columns={
            "date": ("day", "date"),
            "campaign": ("campaign",),
            "creative": ("ad group",),
            "impressions": ("impressions", r"impr\."),
            "clicks": ("clicks",),
            "spend": ("cost",),
            "currency": ("currency code", "currency"),
        },
        required=("date", "campaign", "impressions", "clicks", "spend"),
        date_formats=("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%A, %B %d, %Y"),
    ),
    META_ADS: Layout(
        source=META_ADS,
        label="Meta Ads Manager",
        columns={
            "date": ("day", "reporting starts"),
            "date_end": ("reporting ends",),
            "campaign": ("campaign name",),
            "creative": ("ad name",),
            "impressions": ("impressions",),
            "clicks": ("link clicks", r"clicks \(all\)"),
            "spend": (r"amount spent \((?P<currency>[a-z]{3})\)", "amount spent"),
            "currency": ("currency",),
        },
        required=("date", "campaign", "impressions", "spend"),
        date_formats=("%Y-%m-%d",),
    ),
    LINKEDIN_ADS: Layout(
        source=LINKEDIN_ADS,
        label="LinkedIn Campaign Manager",
        columns={
            "date": (r"start date \(in utc\)", "start date"),
            "date_end": (r"end date \(in utc\)", "end date"),
            "campaign": ("campaign name",),
            "creative": ("creative name", "ad name"),
            "impressions": ("impressions",),
            "clicks": ("clicks",),
            "spend": ("total spent", "amount spent"),
            "currency": ("currency",),
        },
        required=("date", "campaign", "impressions", "clicks", "spend"),
        date_formats=("%m/%d/%Y", "%Y-%m-%d"),
    ),
}
LAYOUT_LABELS = {**{key: layout.label for key, layout in LAYOUTS.items()}, GENERIC: "Other (CSV)"}


@dataclass(frozen=True)
class Table:
    delimiter: str
    rows: list[tuple[int, list[str]]]  # (line number where the row starts, cells)


@dataclass(frozen=True)
class Options:
    default_currency: str = ""  # used when the file names no currency
    date_format: str = "iso"  # generic layout only: a key of DATE_FORMATS
    decimal_mark: str = ""  # "." or ","; empty means: work it out from the file


@dataclass(frozen=True)
class SpendRow:
    line: int
    day: date
    campaign: str
    creative: str
    spend: Decimal
    currency: str
    impressions: int
    clicks: int


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass
class ParsedFile:
    layout: str
    header_line: int
    headers: list[str]
    columns: dict[str, int]
    decimal_mark: str
    rows: list[SpendRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    summary_rows: int = 0


# ---------------------------------------------------------------- bytes -> text -> table


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if len(data) > MAX_FILE_BYTES:
        raise FileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Export a shorter date range."
        )
    if not data.strip():
        raise FileError("The file is empty.")
    if data[:4] == b"PK\x03\x04":
        raise FileError("This is an Excel workbook, not CSV: export or save it as CSV.")
    text: str | None = None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileError("The file says it is UTF-16 but is not valid UTF-16 text.") from exc
    elif _looks_utf16_without_bom(data):
        try:
            text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        except UnicodeDecodeError as exc:
            raise FileError("The file is neither UTF-8 nor UTF-16 text.") from exc
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        raise FileError("The file is not text in UTF-8, UTF-16 or Windows-1252: is it a CSV?")
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise FileError("The file contains binary data (NUL characters): is it a CSV?")
    return text


def _looks_utf16_without_bom(data: bytes) -> bool:
    sample = data[:200]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 3


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    best, best_count = ",", 0
    for delimiter in ("\t", ";", ","):
        count = max((line.count(delimiter) for line in lines), default=0)
        if count > best_count:
            best, best_count = delimiter, count
    return best


def read_table(text: str) -> Table:
    """Split the text into rows with Python's csv module; each row keeps its first line number."""
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((start, cells))
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                raise FileError(
                    f"The file has more than {MAX_ROWS:,} rows. Export a shorter date range."
                )
    except csv.Error as exc:
        raise FileError(f"Line {reader.line_num + 1} cannot be read as CSV: {exc}.") from exc
    if not rows:
        raise FileError("The file has no rows.")
    return Table(delimiter=delimiter, rows=rows)


# ---------------------------------------------------------------- headers and layouts


def normalize_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").strip().strip('"').split()).casefold()


def _match_columns(layout: Layout, headers: Sequence[str]) -> tuple[dict[str, int], str]:
    """Column index per field (first alias that matches wins) and a currency named in a header."""
    normalized = [normalize_header(h) for h in headers]
    found: dict[str, int] = {}
    header_currency = ""
    for name, patterns in layout.columns.items():
        for pattern in patterns:
            for index, header in enumerate(normalized):
                match = re.fullmatch(pattern, header)
                if match:
                    found[name] = index
                    if "currency" in match.groupdict():
                        header_currency = match.group("currency").upper()
                    break
            if name in found:
                break
    return found, header_currency


def detect_layout(table: Table) -> tuple[str, int] | None:
    """(layout, index of the header row in table.rows) for the first known layout that fits."""
    for position, (_, cells) in enumerate(table.rows[:HEADER_SCAN_ROWS]):
        for key, layout in LAYOUTS.items():
            found, _ = _match_columns(layout, cells)
            if all(name in found for name in layout.required):
                return key, position
    return None


def generic_header_position(table: Table) -> int:
    """The first row with two or more filled cells is taken as the header of an unknown layout."""
    for position, (_, cells) in enumerate(table.rows[:HEADER_SCAN_ROWS]):
        if sum(1 for cell in cells if cell.strip()) >= 2:
            return position
    return 0


def guess_generic_columns(headers: Sequence[str]) -> dict[str, int]:
    """Suggested mapping for the column-mapping step, from headers any known layout uses."""
    guess: dict[str, int] = {}
    for layout in LAYOUTS.values():
        found, _ = _match_columns(layout, headers)
        for name, index in found.items():
            guess.setdefault(name, index)
    return guess


# ---------------------------------------------------------------- cell values

_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_CODE_AFFIX = re.compile(r"^[A-Za-z]{3}(?=[\d(+-])|(?<=[\d)])[A-Za-z]{3}$")
_EMPTY_NUMBERS = {"", "-", "--", "—", "n/a", "na"}


def _number_text(raw: str) -> tuple[str, bool]:
    """(digits and separators, negative?) with currency symbols, codes and spaces removed."""
    text = _SPACES.sub("", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Sc")
    text = _CODE_AFFIX.sub("", text)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        text, negative = text[1:-1], True
    if text.startswith(("-", "−")):
        text, negative = text[1:], True
    elif text.startswith("+"):
        text = text[1:]
    return text, negative


def _decisive_mark(text: str) -> str | None:
    """The decimal mark one value proves, if it proves one (e.g. 1.234,5 or 12,50)."""
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        return "," if text.rfind(",") > text.rfind(".") else "."
    for mark, other, count in ((",", ".", commas), (".", ",", dots)):
        if count > 1:
            return other
        if count == 1 and len(text) - text.rfind(mark) - 1 != 3:
            return mark
    return None


def decimal_mark(values: Iterable[str], delimiter: str) -> str:
    """The file's decimal mark, from the first value that proves it; semicolon files default
    to a decimal comma (that is why those locales use semicolons), others to a point."""
    for raw in values:
        text, _ = _number_text(raw)
        mark = _decisive_mark(text)
        if mark:
            return mark
    return "," if delimiter == ";" else "."


def parse_number(raw: str, mark: str) -> Decimal:
    """A non-negative decimal; raises ValueError with the reason. Blank and "--" read as 0."""
    if raw.strip().casefold() in _EMPTY_NUMBERS:
        return Decimal("0")
    text, negative = _number_text(raw)
    if len(text) > 30:
        raise ValueError("is too large")
    group = "," if mark == "." else "."
    plain = rf"\d+(?:{re.escape(mark)}\d+)?"
    grouped = rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+(?:{re.escape(mark)}\d+)?"
    if not (re.fullmatch(plain, text) or re.fullmatch(grouped, text)):
        raise ValueError("is not a number")
    try:
        value = Decimal(text.replace(group, "").replace(mark, "."))
    except InvalidOperation as exc:  # pragma: no cover - the patterns above rule it out
        raise ValueError("is not a number") from exc
    if negative and value != 0:
        raise ValueError("is negative")
    return value


def parse_day(raw: str, formats: Sequence[str], today: date) -> date:
    text = " ".join(raw.split())
    if not text:
        raise ValueError("is missing")
    # Some exports write a time after the day (2025-03-01 00:00:00).
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", text):
        text = text[:10]
    for fmt in formats:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if day < EARLIEST:
            raise ValueError("is before 2000")
        if day > today + timedelta(days=1):
            raise ValueError("is in the future")
        return day
    raise ValueError("is not a valid date")


def _shown(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return f"“{value[:limit]}…”" if len(value) > limit else f"“{value}”"


# ---------------------------------------------------------------- rows


def parse(
    table: Table,
    *,
    layout: str,
    header_position: int,
    options: Options,
    today: date,
    columns: Mapping[str, int] | None = None,
) -> ParsedFile:
    """Every data row below the header as a SpendRow, or a RowError with its line and reason.

    `columns` is required for the generic layout (field -> column index) and ignored otherwise.
    Summary rows ("Total: …", as Google Ads appends) are counted and skipped.
    """
    header_line, headers = table.rows[header_position]
    header_currency = ""
    if layout == GENERIC:
        found = dict(columns or {})
        date_formats: tuple[str, ...] = (
            DATE_FORMATS.get(options.date_format, DATE_FORMATS["iso"])[0],
        )
        if options.date_format != "iso":
            date_formats += (DATE_FORMATS["iso"][0],)
    else:
        spec = LAYOUTS[layout]
        found, header_currency = _match_columns(spec, headers)
        date_formats = spec.date_formats
    data_rows = table.rows[header_position + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise FileError(f"The file has more than {MAX_ROWS:,} rows. Export a shorter date range.")

    def cell(cells: list[str], name: str) -> str:
        index = found.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    numeric = (cell(cells, name) for _, cells in data_rows for name in ("spend", "impressions"))
    mark = options.decimal_mark or decimal_mark(numeric, table.delimiter)
    parsed = ParsedFile(
        layout=layout, header_line=header_line, headers=headers, columns=found, decimal_mark=mark
    )
    # A "Day" column is one day already; otherwise a start and an end that differ span several.
    check_end = (
        "date_end" in found
        and "date" in found
        and (normalize_header(headers[found["date"]]) != "day")
    )
    expected_format = "YYYY-MM-DD" if layout != LINKEDIN_ADS else "MM/DD/YYYY"
    if layout == GENERIC:
        expected_format = DATE_FORMATS.get(options.date_format, DATE_FORMATS["iso"])[1]
    for line, cells in data_rows:
        raw_day, raw_campaign = cell(cells, "date").strip(), cell(cells, "campaign").strip()
        if raw_day.casefold().startswith("total") or raw_campaign.casefold().startswith("total:"):
            parsed.summary_rows += 1
            continue
        problems: list[str] = []
        too_long = [
            FIELD_LABELS[name]
            for name in found
            if len(cell(cells, name)) > MAX_CELL and name not in ("campaign", "creative")
        ]
        if too_long:
            problems.append(f"{', '.join(too_long)}: value longer than {MAX_CELL:,} characters")
        day = _read_day(raw_day, date_formats, today, expected_format, problems)
        end = cell(cells, "date_end").strip()
        if day and end and check_end:
            end_day = _try_day(end, date_formats, today)
            if end_day is not None and end_day != day:
                problems.append(
                    f"The row covers {day.isoformat()} to {end_day.isoformat()}; export one "
                    "row per day (break the report down by day)"
                )
        campaign = " ".join(raw_campaign.split())
        if not campaign:
            problems.append("Campaign is missing")
        elif len(campaign) > MAX_NAME:
            problems.append(f"Campaign name is longer than {MAX_NAME} characters")
        creative = " ".join(cell(cells, "creative").split())
        if len(creative) > MAX_NAME:
            problems.append(f"Ad / creative name is longer than {MAX_NAME} characters")
        spend = _read_number(cell(cells, "spend"), "Spend", mark, problems)
        if spend is not None:
            spend = spend.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if spend > MAX_SPEND:
                problems.append("Spend is too large")
        impressions = _read_count(cell(cells, "impressions"), "Impressions", mark, problems)
        clicks = _read_count(cell(cells, "clicks"), "Clicks", mark, problems)
        currency = (
            cell(cells, "currency").strip().upper() or header_currency or options.default_currency
        )
        if (reason := currency_error(currency)) is not None:
            problems.append(f"Currency: {reason}" if currency else "Currency is missing")
        if problems or day is None or spend is None or impressions is None or clicks is None:
            parsed.errors.append(RowError(line=line, reason="; ".join(problems)))
            continue
        parsed.rows.append(
            SpendRow(
                line=line,
                day=day,
                campaign=campaign,
                creative=creative,
                spend=spend,
                currency=currency,
                impressions=impressions,
                clicks=clicks,
            )
        )
    return parsed


def _try_day(raw: str, formats: Sequence[str], today: date) -> date | None:
    try:
        return parse_day(raw, formats, today)
    except ValueError:
        return None


def _read_day(
    raw: str, formats: Sequence[str], today: date, expected: str, problems: list[str]
) -> date | None:
    try:
        return parse_day(raw, formats, today)
    except ValueError as exc:
        if not raw:
            problems.append("Date is missing")
        elif len(raw) > MAX_CELL:
            pass  # already reported as too long
        else:
            hint = f" (expected {expected})" if str(exc) == "is not a valid date" else ""
            problems.append(f"Date {_shown(raw)} {exc}{hint}")
        return None


def _read_number(raw: str, label: str, mark: str, problems: list[str]) -> Decimal | None:
    if len(raw) > MAX_CELL:
        return None  # reported as too long
    try:
        return parse_number(raw, mark)
    except ValueError as exc:
        problems.append(f"{label} {_shown(raw)} {exc}")
        return None


def _read_count(raw: str, label: str, mark: str, problems: list[str]) -> int | None:
    value = _read_number(raw, label, mark, problems)
    if value is None:
        return None
    if value != value.to_integral_value():
        problems.append(f"{label} {_shown(raw)} is not a whole number")
        return None
    if value > MAX_COUNT:
        problems.append(f"{label} is too large")
        return None
    return int(value)


# ---------------------------------------------------------------- names -> campaigns


@dataclass(frozen=True)
class CampaignRef:
    id: int
    name: str
    utm_campaign: str
    currency: str


@dataclass(frozen=True)
class CreativeRef:
    id: int
    campaign_id: int
    name: str


@dataclass(frozen=True)
class ResolvedRow:
    line: int
    campaign_id: int
    creative_id: int | None
    day: date
    spend: Decimal
    currency: str
    impressions: int
    clicks: int


@dataclass
class Resolution:
    rows: list[ResolvedRow]
    errors: list[RowError]
    unknown: dict[str, tuple[str, int]]  # name key -> (name as first written, row count)
    skipped_rows: int


SKIP = 0  # the value a campaign mapping uses for "do not import these rows"


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def match_campaign(name: str, campaigns: Sequence[CampaignRef]) -> int | None:
    """The one campaign with this name, else the one whose utm_campaign is the name or its slug."""
    key = name_key(name)
    by_name = [c.id for c in campaigns if name_key(c.name) == key]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        return None  # ambiguous: the person chooses
    slug = slugify(name)
    by_utm = [
        c.id for c in campaigns if c.utm_campaign and c.utm_campaign.casefold() in (key, slug)
    ]
    return by_utm[0] if len(by_utm) == 1 else None


def resolve(
    rows: Sequence[SpendRow],
    *,
    campaigns: Sequence[CampaignRef],
    creatives: Sequence[CreativeRef],
    campaign_map: Mapping[str, int],
) -> Resolution:
    """Give each row its campaign (an explicit mapping wins over matching) and, when the ad name
    is one of that campaign's creatives, its creative; check the currency is the campaign's."""
    by_id = {c.id: c for c in campaigns}
    creative_ids = {(c.campaign_id, name_key(c.name)): c.id for c in creatives}
    matched: dict[str, int | None] = {}
    result = Resolution(rows=[], errors=[], unknown={}, skipped_rows=0)
    for row in rows:
        key = name_key(row.campaign)
        if key in campaign_map:
            campaign_id: int | None = campaign_map[key]
            if campaign_id == SKIP:
                result.skipped_rows += 1
                continue
        else:
            if key not in matched:
                matched[key] = match_campaign(row.campaign, campaigns)
            campaign_id = matched[key]
        campaign = by_id.get(campaign_id) if campaign_id is not None else None
        if campaign is None:
            first, count = result.unknown.get(key, (row.campaign, 0))
            result.unknown[key] = (first, count + 1)
            result.errors.append(
                RowError(
                    line=row.line,
                    reason=f"Campaign {_shown(row.campaign)} is not a Revline campaign: "
                    "choose one for it below",
                )
            )
            continue
        if row.currency != campaign.currency:
            result.errors.append(
                RowError(
                    line=row.line,
                    reason=f"Spend is in {row.currency} but campaign {_shown(campaign.name)} "
                    f"is in {campaign.currency}",
                )
            )
            continue
        creative_id = (
            creative_ids.get((campaign.id, name_key(row.creative))) if row.creative else None
        )
        result.rows.append(
            ResolvedRow(
                line=row.line,
                campaign_id=campaign.id,
                creative_id=creative_id,
                day=row.day,
                spend=row.spend,
                currency=row.currency,
                impressions=row.impressions,
                clicks=row.clicks,
            )
        )
    return result


@dataclass
class Total:
    campaign_id: int
    creative_id: int | None
    day: date
    currency: str
    spend: Decimal = Decimal("0")
    impressions: int = 0
    clicks: int = 0
    lines: int = 0


def aggregate(rows: Iterable[ResolvedRow]) -> list[Total]:
    """One total per (campaign, creative, day): the figure stored, so a file that splits a day
    over several rows (ad groups, ad sets) adds up, and importing it again gives the same total."""
    totals: dict[tuple[int, int | None, date], Total] = {}
    for row in rows:
        key = (row.campaign_id, row.creative_id, row.day)
        total = totals.get(key)
        if total is None:
            total = totals[key] = Total(
                campaign_id=row.campaign_id,
                creative_id=row.creative_id,
                day=row.day,
                currency=row.currency,
            )
        total.spend += row.spend
        total.impressions += row.impressions
        total.clicks += row.clicks
        total.lines += 1
    return sorted(totals.values(), key=lambda t: (t.day, t.campaign_id, t.creative_id or 0))
