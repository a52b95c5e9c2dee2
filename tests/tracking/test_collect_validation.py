"""Validation of a snippet batch (tracking/collect.py): every rule, no database, no request."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from revline.tracking.collect import MAX_BODY_BYTES, BatchError, batch_parse

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
VISITOR = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
EVENT_ID = "7d444840-9dc0-11d1-b245-5ffdce74fad2"


def event(**fields):
    base = {
        "id": EVENT_ID,
        "type": "page_view",
        "ts": NOW_MS,
        "url": "https://www.shop.example/pricing?utm_campaign=spring",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def body(*events, **top) -> bytes:
    data = {"visitor_id": VISITOR, "events": list(events) or [event()], **top}
    return json.dumps(data).encode()


def rejected(raw: bytes) -> BatchError:
    with pytest.raises(BatchError) as caught:
        batch_parse(raw, now=NOW)
    return caught.value


def test_a_full_event_is_parsed_into_typed_values():
    # Given a CTA click with every field
    raw = body(
        event(
            type="cta_click",
            ts=NOW_MS - 1500,
            referrer="https://www.google.com/",
            title="  Pricing – Shop  ",
            label="Hero: start trial",
            utm={"utm_source": "google", "utm_campaign": "spring", "utm_term": ""},
            props={"plan": "pro", "seats": 5, "annual": True},
        ),
        consent=True,
    )
    # When it is parsed
    batch = batch_parse(raw, now=NOW)
    # Then every value is typed, trimmed, and empty UTM values are dropped
    assert batch.visitor_id == uuid.UUID(VISITOR)
    assert batch.consent is True
    [parsed] = batch.events
    assert parsed.id == EVENT_ID
    assert parsed.kind == "cta_click"
    assert parsed.occurred_at == NOW - timedelta(milliseconds=1500)
    assert parsed.url == "https://www.shop.example/pricing?utm_campaign=spring"
    assert parsed.referrer == "https://www.google.com/"
    assert parsed.title == "Pricing – Shop"
    assert parsed.label == "Hero: start trial"
    assert parsed.utm == {"utm_source": "google", "utm_campaign": "spring"}
    assert parsed.props == {"plan": "pro", "seats": 5, "annual": True}


def test_optional_fields_default_to_empty_and_ids_are_lower_cased():
    batch = batch_parse(body(event(id=EVENT_ID.upper()), visitor_id=VISITOR.upper()), now=NOW)
    [parsed] = batch.events
    assert (parsed.id, parsed.referrer, parsed.title, parsed.label) == (EVENT_ID, "", "", "")
    assert (parsed.utm, parsed.props) == ({}, {})
    assert batch.visitor_id == uuid.UUID(VISITOR)
    assert batch.consent is False


def test_fifty_events_are_allowed_and_fifty_one_are_not():
    events = [event(id=str(uuid.UUID(int=i))) for i in range(51)]
    assert len(batch_parse(body(*events[:50]), now=NOW).events) == 50
    error = rejected(body(*events))
    assert (error.status, error.field) == (400, "events")
    assert error.reason == "events holds 51 events; at most 50 are allowed."


def test_a_body_over_64_kb_is_refused_with_413():
    error = rejected(b" " * (MAX_BODY_BYTES + 1))
    assert error.status == 413
    assert error.reason == "The body is larger than 65536 bytes."


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (NOW_MS, NOW),
        (NOW_MS - 7 * 86_400_000, NOW - timedelta(days=7)),
        # a client clock that runs fast is clamped to the arrival time
        (NOW_MS + 3_600_000, NOW),
        (NOW_MS + 86_400_000, NOW),
        (float(NOW_MS) + 0.5, NOW),
    ],
)
def test_timestamps_within_the_window_are_accepted(ts, expected):
    [parsed] = batch_parse(body(event(ts=ts)), now=NOW).events
    assert parsed.occurred_at == expected


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        (NOW_MS - 7 * 86_400_000 - 1, "events[0].ts is more than 7 days in the past."),
        (NOW_MS + 86_400_000 + 1, "events[0].ts is more than 1 day in the future."),
        (0, "events[0].ts is more than 7 days in the past."),
        (-1e300, "events[0].ts is more than 7 days in the past."),
        (1e300, "events[0].ts is more than 1 day in the future."),
        ("2025-03-01T12:00:00Z", "events[0].ts must be a number of milliseconds since 1970."),
        (True, "events[0].ts must be a number of milliseconds since 1970."),
        (None, "events[0].ts must be a number of milliseconds since 1970."),
        (..., "events[0].ts must be a number of milliseconds since 1970."),
    ],
)
def test_timestamps_outside_the_window_or_not_numbers_are_refused(ts, reason):
    error = rejected(body(event(ts=ts)))
    assert (error.index, error.field, error.reason) == (0, "ts", reason)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "https://www.shop.example/" + "a" * 1975),
        ("referrer", "http://ref.example/" + "b" * 1981),
        ("title", "t" * 300),
        ("label", "l" * 200),
    ],
)
def test_strings_at_their_length_limit_are_accepted(field, value):
    [parsed] = batch_parse(body(event(**{field: value})), now=NOW).events
    assert getattr(parsed, field) == value


def test_utm_values_and_props_at_their_limits_are_accepted():
    utm = {key: "u" * 100 for key in ("utm_source", "utm_medium", "utm_campaign")}
    props = {f"k{i}": "v" * 200 for i in range(10)}
    [parsed] = batch_parse(body(event(utm=utm, props=props)), now=NOW).events
    assert parsed.utm == utm
    assert parsed.props == props


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "The body is not valid JSON in UTF-8."),
        (b'{"visitor_id": "\xff"}', "The body is not valid JSON in UTF-8."),
        (b"[]", "The body must be a JSON object."),
        (b'"text"', "The body must be a JSON object."),
        (b"[" * 20000 + b"]" * 20000, "The body is not valid JSON in UTF-8."),
        (b'{"visitor_id": NaN}', "The body is not valid JSON in UTF-8."),
        (b'{"visitor_id": Infinity}', "The body is not valid JSON in UTF-8."),
        (b'{"visitor_id": ' + b"9" * 5000 + b"}", "The body is not valid JSON in UTF-8."),
        (b"", "The body is not valid JSON in UTF-8."),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(raw, reason):
    error = rejected(raw)
    assert (error.status, error.index, error.field, error.reason) == (400, None, None, reason)


@pytest.mark.parametrize(
    ("top", "field", "reason"),
    [
        ({"visitor_id": "not-a-uuid"}, "visitor_id", "must be a UUID"),
        ({"visitor_id": None}, "visitor_id", "must be a UUID"),
        ({"visitor_id": 42}, "visitor_id", "must be a UUID"),
        ({"visitor_id": "{" + VISITOR + "}"}, "visitor_id", "must be a UUID"),
        ({"visitor_id": VISITOR + "\n"}, "visitor_id", "must be a UUID"),
        ({"consent": "yes"}, "consent", "must be true or false."),
        ({"events": "all"}, "events", "must be a list of 1 to 50 events."),
        ({"events": []}, "events", "must be a list of 1 to 50 events."),
        ({"events": None}, "events", "must be a list of 1 to 50 events."),
        ({"admin": True}, "admin", "is not a known field."),
    ],
)
def test_bad_batch_fields_are_named(top, field, reason):
    error = rejected(body(**top))
    assert (error.status, error.index, error.field) == (400, None, field)
    assert error.reason.startswith(f"{field} {reason}")


HOSTILE_EVENTS = [
    ({"id": "1; DROP TABLE tracking_touchpoint"}, "id", "must be a UUID"),
    ({"id": None}, "id", "must be a UUID"),
    ({"id": ...}, "id", "must be a UUID"),
    ({"type": "click"}, "type", "must be one of page_view, cta_click."),
    ({"type": "<script>"}, "type", "must be one of page_view, cta_click."),
    ({"type": ...}, "type", "must be one of page_view, cta_click."),
    ({"url": "javascript:alert(1)"}, "url", "must be an absolute http:// or https:// URL."),
    ({"url": "data:text/html,<script>alert(1)</script>"}, "url", "must be an absolute http"),
    ({"url": "//evil.example/"}, "url", "must be an absolute http:// or https:// URL."),
    ({"url": "/relative/path"}, "url", "must be an absolute http:// or https:// URL."),
    ({"url": "https://"}, "url", "must be an absolute http:// or https:// URL."),
    ({"url": "https://shop.example:99999/"}, "url", "is not a valid URL."),
    ({"url": "https://shop.example\\@evil.example"}, "url", "must not contain spaces or"),
    ({"url": "https://shop.example/ x"}, "url", "must not contain spaces or backslashes."),
    ({"url": "https://shop.example/\r\nSet-Cookie: x=1"}, "url", "must not contain control"),
    ({"url": ""}, "url", "must not be empty."),
    ({"url": ...}, "url", "must be a string."),
    ({"url": ["https://shop.example/"]}, "url", "must be a string."),
    ({"url": "https://shop.example/" + "a" * 1980}, "url", "must be at most 2000 characters."),
    ({"referrer": "javascript:alert(1)"}, "referrer", "must be an absolute http"),
    ({"referrer": 7}, "referrer", "must be a string."),
    ({"title": "t" * 301}, "title", "must be at most 300 characters."),
    ({"title": "a\x00b"}, "title", "must not contain control characters."),
    ({"title": "\ud800"}, "title", "contains invalid Unicode."),
    ({"title": {"$gt": ""}}, "title", "must be a string."),
    ({"label": "l" * 201}, "label", "must be at most 200 characters."),
    ({"label": "a\x1bb"}, "label", "must not contain control characters."),
    ({"utm": "utm_source=google"}, "utm", "must be an object."),
    ({"utm": {"utm_evil": "x"}}, "utm", "must only hold utm_source"),
    ({"utm": {"utm_source": 5}}, "utm.utm_source", "must be a string."),
    ({"utm": {"utm_source": "u" * 101}}, "utm.utm_source", "must be at most 100 characters."),
    ({"utm": {"utm_campaign": "x\x00"}}, "utm.utm_campaign", "must not contain control"),
    ({"props": [1, 2]}, "props", "must be an object."),
    ({"props": {f"k{i}": 1 for i in range(11)}}, "props", "must hold at most 10 keys."),
    ({"props": {"<script>": 1}}, "props", "keys must be letters, digits or _"),
    ({"props": {"_private": 1}}, "props", "keys must be letters, digits or _"),
    ({"props": {"k" * 41: 1}}, "props", "keys must be letters, digits or _"),
    ({"props": {"plan\n": 1}}, "props", "keys must be letters, digits or _"),
    ({"props": {"plan": {"nested": 1}}}, "props.plan", "must be a string, a number or"),
    ({"props": {"plan": None}}, "props.plan", "must be a string, a number or true/false."),
    ({"props": {"plan": 1e16}}, "props.plan", "must be a string, a number or true/false."),
    ({"props": {"plan": "p" * 201}}, "props.plan", "must be at most 200 characters."),
    ({"is_admin": True}, "is_admin", "is not a known field."),
]


@pytest.mark.parametrize(("fields", "field", "reason"), HOSTILE_EVENTS)
def test_each_bad_event_field_is_named_with_the_event_index(fields, field, reason):
    # Given a batch whose second event carries the bad value
    raw = body(event(), event(**{"id": str(uuid.uuid4()), **fields}))
    # Then the batch is refused, naming event 1 and the field
    error = rejected(raw)
    assert (error.status, error.index, error.field) == (400, 1, field)
    assert error.reason.startswith(f"events[1].{field} {reason}")
    assert error.as_dict() == {
        "error": "invalid_batch",
        "reason": error.reason,
        "index": 1,
        "field": field,
    }


def test_an_event_that_is_not_an_object_is_named():
    error = rejected(body(event(), "page_view"))
    assert (error.index, error.field, error.reason) == (1, None, "events[1] must be an object.")


def test_an_event_id_repeated_in_one_batch_is_refused():
    error = rejected(body(event(), event(type="cta_click")))
    assert (error.index, error.field) == (1, "id")
    assert error.reason == "events[1].id repeats the id of an earlier event in this batch."
