"""Calendar invitations as RFC 5545 text (an .ics file): pure functions, no ORM.

No iCalendar library is installed, and an invitation needs only a few properties, so the text
is written here: TEXT values escaped (RFC 5545 §3.3.11), parameter values quoted (§3.2), lines
ended with CRLF and folded at 75 octets without splitting a UTF-8 character (§3.1).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Revline//Revline CRM//EN"
LINE_OCTETS = 75
CRLF = "\r\n"
# Control characters other than tab are not allowed in any value (§3.1, "CONTROL").
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Invite:
    """One meeting request. `uid` must stay the same for every message about the meeting."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    stamp: datetime
    summary: str
    description: str
    organizer: Person
    attendees: tuple[Person, ...]
    location: str = ""
    sequence: int = 0


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, every line break as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return _CONTROL.sub("", value)


def quote_param(value: str) -> str:
    """A parameter value such as CN: double quotes are not allowed in one, so they are dropped,
    and the value is quoted whenever it holds a character that would end it (`:`, `;`, `,`)."""
    value = _CONTROL.sub("", value.replace("\r\n", " ").replace("\n", " ")).replace('"', "")
    return f'"{value}"' if re.search(r"[:;,]", value) else value


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC ("form #2"), e.g. 20250303T080000Z. `moment` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, each continuation starting with a
    space, never inside a UTF-8 character."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1  # the leading space counts towards the next line's 75
        current += char
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def _mailto(email: str) -> str:
    return "mailto:" + _CONTROL.sub("", email).replace(" ", "")


def _person(name: str, person: Person, params: Iterable[str] = ()) -> str:
    parts = [name, *params]
    if person.name.strip():
        parts.append(f"CN={quote_param(person.name.strip())}")
    return ";".join(parts) + ":" + _mailto(person.email)


def calendar_request(invite: Invite) -> str:
    """The whole VCALENDAR (METHOD:REQUEST) for `invite`, CRLF line ends, folded."""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{escape_text(invite.uid)}",
        f"SEQUENCE:{invite.sequence}",
        f"DTSTAMP:{utc_stamp(invite.stamp)}",
        f"DTSTART:{utc_stamp(invite.starts_at)}",
        f"DTEND:{utc_stamp(invite.ends_at)}",
        f"SUMMARY:{escape_text(invite.summary)}",
        f"DESCRIPTION:{escape_text(invite.description)}",
    ]
    if invite.location.strip():
        lines.append(f"LOCATION:{escape_text(invite.location.strip())}")
    lines += [
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        _person("ORGANIZER", invite.organizer),
    ]
    lines += [
        _person(
            "ATTENDEE",
            attendee,
            ("CUTYPE=INDIVIDUAL", "ROLE=REQ-PARTICIPANT", "PARTSTAT=NEEDS-ACTION", "RSVP=TRUE"),
        )
        for attendee in invite.attendees
    ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + CRLF for line in lines)
