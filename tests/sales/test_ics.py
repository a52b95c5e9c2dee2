"""Calendar invitations as RFC 5545 text: escaping, folding and the request's properties."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from revline.sales.ics import (
    Invite,
    Person,
    calendar_request,
    escape_text,
    fold,
    quote_param,
    utc_stamp,
)

BERLIN_WINTER = timezone(timedelta(hours=1))


def _invite(**changes) -> Invite:
    values = dict(
        uid="meeting-7@crm.example.com",
        starts_at=datetime(2025, 3, 3, 9, 0, tzinfo=BERLIN_WINTER),
        ends_at=datetime(2025, 3, 3, 9, 30, tzinfo=BERLIN_WINTER),
        stamp=datetime(2025, 3, 1, 12, 0, 5, tzinfo=UTC),
        summary="Acme: Ada Lovelace and Rep A",
        description="Booked online.",
        organizer=Person(email="rep@acme.example", name="Rep A"),
        attendees=(Person(email="ada@example.com", name="Ada Lovelace"),),
    )
    values.update(changes)
    return Invite(**values)


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a, b; c", "a\\, b\\; c"),
        ("C:\\path\\", "C:\\\\path\\\\"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("\\n is not a line break", "\\\\n is not a line break"),
        ("bell\x07 and tab\t", "bell and tab\t"),
        ("Grüße 😀", "Grüße 😀"),
    ],
)
def test_text_values_are_escaped(raw, escaped):
    assert escape_text(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("Lovelace, Ada", '"Lovelace, Ada"'),
        ('Ada "the first" Lovelace', "Ada the first Lovelace"),
        ("a:b;c\nd", '"a:b;c d"'),
    ],
)
def test_parameter_values_are_quoted_when_needed(raw, quoted):
    assert quote_param(raw) == quoted


def test_times_are_written_in_utc():
    assert utc_stamp(datetime(2025, 3, 3, 9, 0, tzinfo=BERLIN_WINTER)) == "20250303T080000Z"


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_stamp(datetime(2025, 3, 3, 9, 0))


def test_a_short_line_is_not_folded():
    assert fold("SUMMARY:short") == "SUMMARY:short"


def test_a_long_line_is_folded_at_75_octets():
    line = "DESCRIPTION:" + "x" * 200

    folded = fold(line)

    parts = folded.split("\r\n")
    assert [len(p.encode()) for p in parts] == [75, 75, 64]
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line


def test_folding_never_splits_a_utf8_character():
    # Given 2-octet and 4-octet characters that straddle the 75-octet boundary
    line = "DESCRIPTION:" + "ü" * 40 + "😀" * 20

    folded = fold(line)

    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert folded.replace("\r\n ", "") == line
    # 12 + 31*2 = 74 octets: the 32nd ü would make 76, so the first line ends there
    assert parts[0] == "DESCRIPTION:" + "ü" * 31


def test_the_request_has_every_property_a_calendar_needs():
    text = calendar_request(_invite())

    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert _unfold(text)[:-1] == [
        "BEGIN:VCALENDAR",
        "PRODID:-//Revline//Revline CRM//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:meeting-7@crm.example.com",
        "SEQUENCE:0",
        "DTSTAMP:20250301T120005Z",
        "DTSTART:20250303T080000Z",
        "DTEND:20250303T083000Z",
        "SUMMARY:Acme: Ada Lovelace and Rep A",
        "DESCRIPTION:Booked online.",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "ORGANIZER;CN=Rep A:mailto:rep@acme.example",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        "CN=Ada Lovelace:mailto:ada@example.com",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_a_hostile_note_stays_inside_the_description():
    # Given a note trying to end the event and add properties of its own
    note = "Hi; see you, \\o/\nEND:VEVENT\r\nATTENDEE:mailto:evil@example.com"

    text = calendar_request(_invite(description=note, location="Room 1, 2nd floor"))

    lines = _unfold(text)
    assert (
        "DESCRIPTION:Hi\\; see you\\, \\\\o/\\nEND:VEVENT\\nATTENDEE:mailto:evil@example.com"
        in (lines)
    )
    assert lines.count("END:VEVENT") == 1
    assert [line for line in lines if line.startswith("ATTENDEE")] == [
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        "CN=Ada Lovelace:mailto:ada@example.com"
    ]
    assert "LOCATION:Room 1\\, 2nd floor" in lines


def test_every_physical_line_is_at_most_75_octets():
    text = calendar_request(_invite(description="Lange Notiz über Grüße, Wünsche; " * 20))

    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))


def test_a_name_with_a_comma_is_quoted_and_one_without_a_name_has_no_cn():
    text = calendar_request(
        _invite(
            organizer=Person(email="rep@acme.example", name="A, Rep"),
            attendees=(Person(email="ada@example.com"),),
        )
    )

    lines = _unfold(text)
    assert 'ORGANIZER;CN="A, Rep":mailto:rep@acme.example' in lines
    assert (
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:"
        "mailto:ada@example.com"
    ) in lines
