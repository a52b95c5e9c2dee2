"""Reading and checking import files: pure functions over files on disk, no ORM.

Files are always streamed: CSV through `csv.reader` over a text wrapper, XLSX through openpyxl's
read-only mode. Nothing here holds more than one row (plus small read buffers) at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import queue
import re
import threading
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from .models import CompanySize, ImportKind, LifecycleStage

TAG = "tag"
CONSENT = "consent"
IGNORE = ""
MAX_COLUMNS = 200
MAX_HEADER_LENGTH = 200
MAX_FIELD_CHARS = 100_000  # one CSV cell; more is a broken quote, not data
TAG_MAX_LENGTH = 50
SNIFF_BYTES = 64 * 1024
READ_BYTES = 1024 * 1024
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx"}

# Target -> (label, max length). The lengths are the model fields'.
CONTACT_TARGETS: dict[str, tuple[str, int]] = {
    "email": ("Email", 254),
    "first_name": ("First name", 100),
    "last_name": ("Last name", 100),
    "phone": ("Phone", 50),
    "title": ("Job title", 150),
    "company": ("Company name", 200),
    "country": ("Country code", 2),
    "source": ("Source", 100),
    "lifecycle_stage": ("Lifecycle stage", 20),
}
COMPANY_TARGETS: dict[str, tuple[str, int]] = {
    "name": ("Name", 200),
    "domain": ("Domain", 200),
    "industry": ("Industry", 100),
    "size": ("Size", 20),
    "country": ("Country code", 2),
    "phone": ("Phone", 50),
}
REPEATABLE = {TAG, IGNORE}
# Targets that are text with nothing to check but the length.
_PLAIN_TARGETS = {"first_name", "last_name", "phone", "title", "company", "source", "name",
                  "industry"}  # fmt: skip
_BAD_CHARS = re.compile(r"[\x00\r\n]")

# Normalised header (lower case, letters and digits only) -> target.
_SUGGEST_CONTACT = {
    "email": "email", "emailaddress": "email", "mail": "email", "emailaddr": "email",
    "firstname": "first_name", "givenname": "first_name", "forename": "first_name",
    "first": "first_name", "vorname": "first_name", "prenom": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name",
    "last": "last_name", "nachname": "last_name", "nom": "last_name",
    "phone": "phone", "phonenumber": "phone", "telephone": "phone", "tel": "phone",
    "mobile": "phone", "mobilephone": "phone", "telefon": "phone",
    "title": "title", "jobtitle": "title", "position": "title", "role": "title",
    "company": "company", "companyname": "company", "organisation": "company",
    "organization": "company", "account": "company", "firma": "company",
    "country": "country", "countrycode": "country", "land": "country",
    "source": "source", "leadsource": "source",
    "lifecyclestage": "lifecycle_stage", "stage": "lifecycle_stage", "lifecycle": "lifecycle_stage",
    "tags": TAG, "tag": TAG, "labels": TAG,
    "consent": CONSENT, "optin": CONSENT, "marketingconsent": CONSENT, "subscribed": CONSENT,
    "emailoptin": CONSENT, "gdprconsent": CONSENT,
}  # fmt: skip
_SUGGEST_COMPANY = {
    "name": "name", "company": "name", "companyname": "name", "organisation": "name",
    "organization": "name", "account": "name", "accountname": "name",
    "domain": "domain", "website": "domain", "url": "domain", "web": "domain",
    "industry": "industry", "sector": "industry",
    "size": "size", "companysize": "size", "employees": "size", "headcount": "size",
    "country": "country", "countrycode": "country",
    "phone": "phone", "telephone": "phone", "phonenumber": "phone",
    "tags": TAG, "tag": TAG,
}  # fmt: skip

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_DOMAIN = re.compile(r"^(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$")
_YES = {"yes", "y", "true", "1", "ja", "oui", "x", "granted", "opted in", "opt-in"}
_NO = {"no", "n", "false", "0", "nein", "non", "withdrawn", "opted out", "opt-out"}
_STAGES = {
    **{s.value: s.value for s in LifecycleStage},
    **{str(s.label).lower(): s.value for s in LifecycleStage},
}
_SIZES = {
    **{s.value: s.value for s in CompanySize},
    **{str(s.label).replace(",", ""): s.value for s in CompanySize},
}
_validate_email = EmailValidator()
# A plain address that Django's EmailValidator accepts too (a strict subset of what it accepts:
# dot-atom local part, ASCII labels, a letters-only TLD). Anything else goes to the validator.
_PLAIN_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


_CsvReader = Any  # csv.reader's type is private
T = TypeVar("T")


class ImportFileError(Exception):
    """The file cannot be read as an import (wrong type, encoding, headers): said in words."""


class RowError(Exception):
    """One row is bad; the message names the column and the reason."""


def targets_for(kind: str) -> dict[str, tuple[str, int]]:
    return CONTACT_TARGETS if kind == ImportKind.CONTACTS else COMPANY_TARGETS


def target_choices(kind: str) -> list[tuple[str, str]]:
    """What a column can become, for the mapping form."""
    choices = [(IGNORE, "Ignore this column")]
    choices += [(key, label) for key, (label, _) in targets_for(kind).items()]
    choices.append((TAG, "Tags (comma-separated)"))
    if kind == ImportKind.CONTACTS:
        choices.append((CONSENT, "Consent to marketing email (yes/no)"))
    return choices


def _normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def suggest_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """A target per header from its name ('E-mail' -> email); each target used once at most."""
    table = _SUGGEST_CONTACT if kind == ImportKind.CONTACTS else _SUGGEST_COMPANY
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for header in headers:
        target = table.get(_normalise_header(header), IGNORE)
        if target not in REPEATABLE and target in used:
            target = IGNORE
        used.add(target)
        mapping[header] = target
    return mapping


def mapping_errors(kind: str, headers: list[str], mapping: Mapping[str, str]) -> list[str]:
    """What is wrong with a column mapping, in words (empty when it can be used)."""
    allowed = {key for key, _ in target_choices(kind)}
    errors = []
    unknown = set(mapping) - set(headers)
    if unknown:
        errors.append(f"Unknown columns: {', '.join(sorted(unknown))}.")
    seen: dict[str, str] = {}
    for header in headers:
        target = mapping.get(header, IGNORE)
        if target not in allowed:
            errors.append(f"Column “{header}”: “{target}” is not something it can be imported as.")
        elif target not in REPEATABLE:
            if target in seen:
                label = dict(target_choices(kind))[target]
                errors.append(
                    f"Columns “{seen[target]}” and “{header}” are both mapped to {label}; "
                    "choose one."
                )
            seen[target] = header
    required = "email" if kind == ImportKind.CONTACTS else "name"
    if required not in seen:
        label = targets_for(kind)[required][0]
        errors.append(f"Map a column to {label}: every row needs one.")
    return errors


# --- Files -------------------------------------------------------------------------------------


def size_text(size: int) -> str:
    """1000 -> '1 KB', 200 MiB -> '200 MB' (rounded, for messages)."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024))} MB"
    return f"{max(1, round(size / 1024))} KB"


def file_format(file_name: str) -> str:
    """'csv' or 'xlsx' from the name; ImportFileError for anything else."""
    suffix = Path(file_name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix == ".xls":
        raise ImportFileError(
            "Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."
        )
    raise ImportFileError("Upload a CSV file (.csv, .txt, .tsv) or an Excel workbook (.xlsx).")


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM has a NUL in every other byte of its ASCII characters."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file: a BOM decides; else UTF-16 by its NUL pattern; else UTF-8
    if every byte of the file decodes (checked as a stream); else Windows-1252."""
    with path.open("rb") as raw:
        sample = raw.read(SNIFF_BYTES)
        if sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if guess := _utf16_without_bom(sample):
            return guess
        if b"\x00" in sample:
            raise ImportFileError("This does not look like a text (CSV) file.")
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = sample
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = raw.read(READ_BYTES)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def transcode_to_utf8(source: Path, target: Path, encoding: str) -> None:
    """Rewrite a text file as UTF-8, streaming. Bytes cp1252 leaves undefined become U+FFFD."""
    with (
        source.open("r", encoding=encoding, errors="replace", newline="") as reader,
        target.open("w", encoding="utf-8", newline="") as writer,
    ):
        while chunk := reader.read(READ_BYTES):
            writer.write(chunk)


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the candidate found the same number of times (and at least
    once) on most of the first lines; a comma when nothing stands out."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", 0
    for candidate in (",", ";", "\t", "|"):
        counts = [line.count(candidate) for line in lines]
        if counts[0] == 0:
            continue
        score = sum(1 for c in counts if c == counts[0]) * 1000 + counts[0]
        if score > best_score:
            best, best_score = candidate, score
    return best


def looks_like_domain(value: str) -> bool:
    return bool(_DOMAIN.match(value.lower()))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal | float | int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def check_headers(raw: list[str]) -> list[str]:
    """The column names of the first row, stripped; ImportFileError when they cannot be used."""
    headers = [h.strip() for h in raw]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty cells of a spreadsheet export
    if not headers:
        raise ImportFileError(
            "The file is empty or its first row is blank: the first row must hold the column names."
        )
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(f"The file has {len(headers)} columns; at most {MAX_COLUMNS}.")
    seen: dict[str, int] = {}
    for number, header in enumerate(headers, start=1):
        if not header:
            raise ImportFileError(
                f"Column {number} has no name: every column of the first row needs a name."
            )
        if len(header) > MAX_HEADER_LENGTH:
            raise ImportFileError(
                f"The name of column {number} is longer than {MAX_HEADER_LENGTH}."
            )
        if "@" in header and " " not in header:
            raise ImportFileError(
                f"The first row looks like data (“{header[:60]}”): the first row must hold the "
                "column names, e.g. Email, First name."
            )
        key = header.lower()
        if key in seen:
            raise ImportFileError(
                f"Two columns are named “{header}” (columns {seen[key]} and {number}): "
                "column names must differ."
            )
        seen[key] = number
    return headers


@dataclass
class Rows:
    """An open import file: its headers and a one-pass stream of (line number, cells)."""

    headers: list[str]
    stream: Iterator[tuple[int, list[str]]]


class UnreadableRest(RowError):
    """The CSV breaks at this line (e.g. a quote never closed): nothing after it can be read."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"unreadable CSV from this line on ({reason}); the rest was not read")
        self.line = line


def _csv_stream(reader: _CsvReader) -> Iterator[tuple[int, list[str]]]:
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnreadableRest(start, str(exc)) from exc
        if cells and (cells[0].strip() or any(c.strip() for c in cells)):
            yield start, cells
        start = reader.line_num + 1


@contextmanager
def open_rows(path: Path, file_name: str) -> Iterator[Rows]:
    """Open a stored import file for one streaming pass. CSV files are stored as UTF-8."""
    if file_format(file_name) == "xlsx":
        with _open_xlsx(path) as rows:
            yield rows
        return
    csv.field_size_limit(MAX_FIELD_CHARS)
    with path.open("r", encoding="utf-8-sig", newline="") as text:
        delimiter = sniff_delimiter(text.read(SNIFF_BYTES))
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            first = next(reader, [])
        except csv.Error as exc:
            raise ImportFileError(f"The first row cannot be read as CSV: {exc}.") from exc
        headers = check_headers(first)
        yield Rows(headers=headers, stream=_csv_stream(reader))


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Rows]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("This is not a readable Excel workbook (.xlsx).") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ImportFileError("The workbook has no sheet.")
        values = sheet.iter_rows(values_only=True)
        first = next(values, None)
        headers = check_headers([_cell_text(v) for v in first or ()])

        def stream() -> Iterator[tuple[int, list[str]]]:
            for number, row in enumerate(values, start=2):
                cells = [_cell_text(v) for v in row]
                if any(c.strip() for c in cells):
                    yield number, cells

        yield Rows(headers=headers, stream=stream())
    finally:
        workbook.close()


@contextmanager
def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[Iterator[T]]:
    """`items`, produced by a background thread at most `depth` items ahead of the consumer.

    The import reads and checks the next chunk of rows while the database writes the current
    one (the thread waits on nothing but the file; the database connection stays with the
    caller). An exception of `items` is raised to the consumer; leaving the block stops the
    thread and waits for it, so the file it reads can be closed after the block."""
    handover: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                handover.put((kind, value), timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)
            return
        put("end", None)

    def consume() -> Iterator[T]:
        while True:
            kind, value = handover.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        stop.set()
        thread.join()


def read_headers(path: Path, file_name: str) -> list[str]:
    with open_rows(path, file_name) as rows:
        return rows.headers


# --- Rows --------------------------------------------------------------------------------------


@dataclass
class CleanRow:
    """One good row: model field values (only the non-empty ones), tags and the consent answer."""

    line: int
    values: dict[str, str]
    tags: list[str] = field(default_factory=list)
    consent: bool | None = None

    @property
    def key(self) -> str:
        """What identifies the record: the email of a contact, the domain or name of a company."""
        if "email" in self.values:
            return self.values["email"]
        if self.values.get("domain"):
            return "domain:" + self.values["domain"]
        return "name:" + self.values.get("name", "").lower()


@dataclass(frozen=True)
class Plan:
    """A checked mapping, compiled for speed: (column index, target) pairs."""

    kind: str
    width: int
    columns: tuple[tuple[int, str, str, int], ...]  # (index, header, target, max length)


def compile_plan(kind: str, headers: list[str], mapping: Mapping[str, str]) -> Plan:
    targets = targets_for(kind)
    columns = tuple(
        (index, header, mapping[header], targets.get(mapping[header], ("", 0))[1])
        for index, header in enumerate(headers)
        if mapping.get(header, IGNORE) != IGNORE
    )
    return Plan(kind=kind, width=len(headers), columns=columns)


def _quote(value: str) -> str:
    return "“" + (value if len(value) <= 60 else value[:57] + "…") + "”"


def parse_consent(value: str) -> bool | None:
    lowered = value.strip().lower()
    if not lowered:
        return None
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise RowError(f"not a yes/no answer {_quote(value)}")


def parse_tags(value: str) -> list[str]:
    tags = []
    for part in value.replace(";", ",").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise RowError(f"tag {_quote(name)} is longer than {TAG_MAX_LENGTH} characters")
        tags.append(name)
    return tags


def _clean_value(target: str, value: str, limit: int) -> str:
    if target == "email":
        email = value.lower()
        if len(email) > limit:
            raise RowError(f"longer than {limit} characters")
        if _PLAIN_EMAIL.fullmatch(email):
            return email
        try:
            _validate_email(email)
        except ValidationError:
            valid = False
        else:
            valid = True
        if not valid:
            raise RowError(f"invalid email address {_quote(value)}")
        return email
    if target == "country":
        if not _COUNTRY.match(value):
            raise RowError(f"bad country code {_quote(value)}: use two letters, e.g. DE or US")
        return value.upper()
    if target == "lifecycle_stage":
        stage = _STAGES.get(value.lower())
        if stage is None:
            raise RowError(f"unknown lifecycle stage {_quote(value)}")
        return stage
    if target == "size":
        size = _SIZES.get(value.replace("–", "-").replace(",", "").replace(" ", ""))
        if size is None:
            raise RowError(
                f"unknown company size {_quote(value)}: use one of "
                + ", ".join(s.value for s in CompanySize)
            )
        return size
    if target == "domain":
        domain = re.sub(r"^[a-z]+://", "", value.lower()).split("/", 1)[0].removeprefix("www.")
        if not _DOMAIN.match(domain):
            raise RowError(f"not a domain name {_quote(value)}")
        return domain
    if len(value) > limit:
        raise RowError(f"longer than {limit} characters ({len(value)})")
    return value


def clean_row(plan: Plan, line: int, cells: list[str]) -> CleanRow:
    """Check and normalise one row. RowError names the column and says what is wrong."""
    count = len(cells)
    if count > plan.width and any(c.strip() for c in cells[plan.width :]):
        raise RowError(f"{count} values but the first row names {plan.width} columns")
    row = CleanRow(line=line, values={})
    values = row.values
    for index, header, target, limit in plan.columns:
        if index >= count:
            continue
        value = cells[index].strip()
        if not value:
            continue
        if _BAD_CHARS.search(value):
            problem = (
                "a NUL character" if "\x00" in value else "a line break (a quote never closed?)"
            )
            raise RowError(f"{header}: contains {problem}")
        if target in _PLAIN_TARGETS:
            # The common case, kept short: text that only has a length limit.
            if len(value) > limit:
                raise RowError(f"{header}: longer than {limit} characters ({len(value)})")
            values[target] = value
            continue
        problem = ""
        try:
            if target == TAG:
                row.tags.extend(parse_tags(value))
            elif target == CONSENT:
                row.consent = parse_consent(value)
            else:
                values[target] = _clean_value(target, value, limit)
        except RowError as exc:
            problem = str(exc)
        if problem:
            # Raised outside the except block: an exception raised inside it keeps this frame
            # (and the row) alive in a reference cycle until the garbage collector runs.
            raise RowError(f"{header}: {problem}")
    required = "email" if plan.kind == ImportKind.CONTACTS else "name"
    if required not in values:
        header = next((h for _, h, t, _ in plan.columns if t == required), required)
        raise RowError(f"{header}: empty, every row needs one")
    return row
