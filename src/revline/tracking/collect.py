"""Validation of a website-snippet batch for POST /t/collect. Pure: no ORM, no request.

A batch is JSON:

    {"visitor_id": "<uuid>", "consent": true,
     "events": [{"id": "<uuid>", "type": "page_view" | "cta_click", "ts": <ms since epoch>,
                 "url": "https://…", "referrer": "https://…", "title": "…",
                 "utm": {"utm_source": "…", …}, "label": "…", "props": {"plan": "pro"}}]}

Every rule below answers with a `BatchError` that names the event index and the field, so one
bad event rejects the whole batch and nothing of it is stored.
"""

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 50
MAX_URL = 2000
MAX_TITLE = 300
MAX_LABEL = 200
MAX_UTM = 100
MAX_PROPS = 10
MAX_PROP_VALUE = 200
MAX_FUTURE = timedelta(days=1)
MAX_AGE = timedelta(days=7)

EVENT_TYPES = ("page_view", "cta_click")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
BATCH_KEYS = frozenset({"visitor_id", "events", "consent", "link_visitor_id"})
EVENT_KEYS = frozenset({"id", "type", "ts", "url", "referrer", "title", "utm", "label", "props"})

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PROP_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BatchError(Exception):
    """Why a batch is refused: an HTTP status, and a sentence that says where in the batch."""

    def __init__(
        self, message: str, *, index: int | None = None, field: str | None = None, status: int = 400
    ) -> None:
        self.index = index
        self.field = field
        self.status = status
        where = f"events[{index}]" if index is not None else ""
        if field:
            where = f"{where}.{field}" if where else field
        self.reason = f"{where} {message}" if where else message
        super().__init__(self.reason)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"error": "invalid_batch", "reason": self.reason}
        if self.index is not None:
            data["index"] = self.index
        if self.field is not None:
            data["field"] = self.field
        return data


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    occurred_at: datetime
    url: str
    referrer: str = ""
    title: str = ""
    label: str = ""
    utm: dict[str, str] = field(default_factory=dict)
    props: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    visitor_id: uuid.UUID
    consent: bool
    events: tuple[Event, ...]
    # The visitor id a tracked link's redirect put in the landing URL (rl_vid), sent once by a
    # snippet that already had its own id: the two visitors are one person.
    link_visitor_id: uuid.UUID | None = None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def decode(body: bytes) -> Any:
    """The parsed JSON body; BatchError for anything that is not strict JSON in UTF-8."""
    if len(body) > MAX_BODY_BYTES:
        raise BatchError(f"The body is larger than {MAX_BODY_BYTES} bytes.", status=413)
    try:
        text = body.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BatchError("The body is not valid JSON in UTF-8.") from None


def _text(value: Any, limit: int, *, index: int | None, name: str, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BatchError("must be a string.", index=index, field=name)
    if required and not value:
        raise BatchError("must not be empty.", index=index, field=name)
    if len(value) > limit:
        raise BatchError(f"must be at most {limit} characters.", index=index, field=name)
    if bad := _UNSAFE.search(value):
        if bad.group() < "\x80":
            raise BatchError("must not contain control characters.", index=index, field=name)
        # A lone UTF-16 surrogate (JSON allows "\ud800"): no database can store it as text.
        raise BatchError("contains invalid Unicode.", index=index, field=name)
    return value


def _uuid_text(value: Any, *, index: int | None, name: str) -> str:
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise BatchError(
            "must be a UUID such as 1b4e28ba-2fa1-41d2-883f-0016d3cca427.", index=index, field=name
        )
    return value.lower()


@lru_cache(maxsize=1024)
def _url_problem(text: str) -> str | None:
    """What is wrong with a non-empty URL, or None. Cached: a batch repeats its page's URL."""
    if " " in text or "\\" in text:
        return "must not contain spaces or backslashes."
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (a bad port raises)
    except ValueError:
        return "is not a valid URL."
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL."
    return None


def _url(value: Any, *, index: int, name: str, required: bool) -> str:
    text = _text(value, MAX_URL, index=index, name=name, required=required)
    if text and (problem := _url_problem(text)):
        raise BatchError(problem, index=index, field=name)
    return text


@dataclass(frozen=True)
class _Window:
    """The accepted event times, computed once per batch."""

    now: datetime
    earliest_ms: float
    latest_ms: float

    @classmethod
    def around(cls, now: datetime) -> "_Window":
        return cls(
            now=now,
            earliest_ms=(now - MAX_AGE - _EPOCH).total_seconds() * 1000,
            latest_ms=(now + MAX_FUTURE - _EPOCH).total_seconds() * 1000,
        )


def _timestamp(value: Any, *, index: int, window: _Window) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BatchError("must be a number of milliseconds since 1970.", index=index, field="ts")
    if value < window.earliest_ms:
        raise BatchError("is more than 7 days in the past.", index=index, field="ts")
    if value > window.latest_ms:
        raise BatchError("is more than 1 day in the future.", index=index, field="ts")
    # A fast client clock is common: events are never stored later than their arrival.
    return min(_EPOCH + timedelta(milliseconds=value), window.now)


def _utm(value: Any, *, index: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BatchError("must be an object.", index=index, field="utm")
    utm: dict[str, str] = {}
    for key, raw in value.items():
        if key not in UTM_KEYS:
            raise BatchError(f"must only hold {', '.join(UTM_KEYS)}.", index=index, field="utm")
        text = _text(raw, MAX_UTM, index=index, name=f"utm.{key}").strip()
        if text:
            utm[key] = text
    return utm


def _props(value: Any, *, index: int) -> dict[str, str | int | float | bool]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BatchError("must be an object.", index=index, field="props")
    if len(value) > MAX_PROPS:
        raise BatchError(f"must hold at most {MAX_PROPS} keys.", index=index, field="props")
    props: dict[str, str | int | float | bool] = {}
    for key, raw in value.items():
        if not _PROP_KEY.fullmatch(key):
            raise BatchError(
                "keys must be letters, digits or _ (at most 40, a letter first).",
                index=index,
                field="props",
            )
        name = f"props.{key}"
        if isinstance(raw, str):
            props[key] = _text(raw, MAX_PROP_VALUE, index=index, name=name)
        elif isinstance(raw, bool) or (
            isinstance(raw, int | float) and math.isfinite(raw) and abs(raw) < 1e15
        ):
            props[key] = raw
        else:
            raise BatchError("must be a string, a number or true/false.", index=index, field=name)
    return props


def _event(raw: Any, *, index: int, window: _Window) -> Event:
    if not isinstance(raw, dict):
        raise BatchError("must be an object.", index=index)
    unknown = sorted(set(raw) - EVENT_KEYS)
    if unknown:
        raise BatchError("is not a known field.", index=index, field=str(unknown[0])[:40])
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise BatchError(f"must be one of {', '.join(EVENT_TYPES)}.", index=index, field="type")
    return Event(
        id=_uuid_text(raw.get("id"), index=index, name="id"),
        kind=kind,
        occurred_at=_timestamp(raw.get("ts"), index=index, window=window),
        url=_url(raw.get("url"), index=index, name="url", required=True),
        referrer=_url(raw.get("referrer"), index=index, name="referrer", required=False),
        title=_text(raw.get("title"), MAX_TITLE, index=index, name="title").strip(),
        label=_text(raw.get("label"), MAX_LABEL, index=index, name="label").strip(),
        utm=_utm(raw.get("utm"), index=index),
        props=_props(raw.get("props"), index=index),
    )


def batch_parse(body: bytes, *, now: datetime) -> Batch:
    """The validated batch in `body`, or BatchError (413 when too large, 400 otherwise)."""
    data = decode(body)
    if not isinstance(data, dict):
        raise BatchError("The body must be a JSON object.")
    unknown = sorted(set(data) - BATCH_KEYS)
    if unknown:
        raise BatchError("is not a known field.", field=str(unknown[0])[:40])
    visitor_id = uuid.UUID(_uuid_text(data.get("visitor_id"), index=None, name="visitor_id"))
    link_visitor_id = None
    if data.get("link_visitor_id") is not None:
        link_visitor_id = uuid.UUID(
            _uuid_text(data["link_visitor_id"], index=None, name="link_visitor_id")
        )
    consent = data.get("consent", False)
    if not isinstance(consent, bool):
        raise BatchError("must be true or false.", field="consent")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise BatchError("must be a list of 1 to 50 events.", field="events")
    if len(events) > MAX_EVENTS:
        raise BatchError(
            f"holds {len(events)} events; at most {MAX_EVENTS} are allowed.", field="events"
        )
    window = _Window.around(now)
    parsed = tuple(_event(raw, index=i, window=window) for i, raw in enumerate(events))
    seen: set[str] = set()
    for i, event in enumerate(parsed):
        if event.id in seen:
            raise BatchError(
                "repeats the id of an earlier event in this batch.", index=i, field="id"
            )
        seen.add(event.id)
    return Batch(
        visitor_id=visitor_id, consent=consent, events=parsed, link_visitor_id=link_visitor_id
    )
