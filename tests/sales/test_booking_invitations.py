"""Calendar invitations for meetings booked on a public booking page: after the booking commits,
the booker and the rep each get an email with the same calendar request (.ics) attached, sent
through a real SMTP server; a refused booking sends nothing; a mail failure keeps the booking."""

import logging

import pytest

from revline.campaigns.creative_selectors import creative_public_key
from revline.sales.booking_selectors import bookable_slots
from revline.sales.booking_services import Booker, meeting_book
from revline.sales.ics import utc_stamp
from revline.sales.models import Deal, Meeting
from tests.smtp import ReceivedMail, smtp_sink, use_smtp_sink

from ..quotes.cta_fixtures import booking_creative, every_day, make_campaign

BASE = "https://crm.example.com"
NOTE = "Budget; timing, and C:\\data\nSecond line"


@pytest.fixture
def creative(rep_a, settings):
    settings.BASE_URL = BASE
    every_day(rep_a)
    return booking_creative(make_campaign(), rep_a)


@pytest.fixture
def book_url(creative):
    return f"/book/{creative_public_key(creative)}"


@pytest.fixture
def sink(settings):
    with smtp_sink() as running:
        use_smtp_sink(settings, running)
        yield running


def _form(slot_key: str, **changes):
    data = {
        "slot": slot_key,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@analytical.example",
        "company_name": "Analytical Engines",
        "note": NOTE,
        "website": "",
    }
    data.update(changes)
    return data


def _invites(sink) -> list[ReceivedMail]:
    """The messages carrying a calendar request (booking also notifies the rep otherwise)."""
    return [
        m
        for m in sink.messages
        if any(p.get_content_type() == "text/calendar" for p in m.message.iter_attachments())
    ]


def _calendar(mail: ReceivedMail) -> tuple[str, str, str]:
    """The .ics attachment's content type, method parameter and unfolded text."""
    parts = [p for p in mail.message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    assert part.get_filename() == "invite.ics"
    raw = part.get_payload(decode=True).decode("utf-8")
    return part.get_content_type(), part.get_param("method"), raw


def _lines(raw: str) -> list[str]:
    return raw.replace("\r\n ", "").split("\r\n")


def test_booking_on_the_page_mails_the_booker_and_the_rep_an_invitation(
    client, book_url, rep_a, sink, django_capture_on_commit_callbacks
):
    # Given a free slot on the public booking page
    slot = bookable_slots(rep_a)[0]

    # When a visitor books it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(book_url, _form(slot.key))

    # Then the booking succeeded and two messages arrived: to the booker, then to the rep
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    deal = Deal.objects.get()
    assert [m.rcpt_tos for m in _invites(sink)] == [
        ["ada@analytical.example"],
        ["rep_a@example.com"],
    ]
    booker_mail, rep_mail = _invites(sink)
    assert booker_mail.message["Subject"] == "Your meeting with Rep_A (Revline)"
    assert booker_mail.message["Reply-To"] == "rep_a@example.com"
    assert "Hello Ada,\n\nyour meeting with Rep_A is booked:" in booker_mail.text
    assert rep_mail.message["Reply-To"] == "ada@analytical.example"
    assert "Ada Lovelace <ada@analytical.example> booked a meeting with you" in rep_mail.text
    assert f"The deal: {BASE}/sales/deals/{deal.pk}/" in rep_mail.text
    assert "Their note: Budget; timing, and C:\\data\nSecond line" in rep_mail.text

    # And both carry the same calendar request
    booker_ics, rep_ics = _calendar(booker_mail), _calendar(rep_mail)
    assert booker_ics == rep_ics
    content_type, method, raw = booker_ics
    assert (content_type, method) == ("text/calendar", "REQUEST")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = _lines(raw)
    assert "METHOD:REQUEST" in lines
    assert f"UID:meeting-{meeting.pk}@crm.example.com" in lines
    assert f"DTSTART:{utc_stamp(slot.starts_at)}" in lines
    assert f"DTEND:{utc_stamp(slot.ends_at)}" in lines
    assert "SUMMARY:Revline: Ada Lovelace and Rep_A" in lines
    assert "ORGANIZER;CN=Rep_A:mailto:rep_a@example.com" in lines
    assert (
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        "CN=Ada Lovelace:mailto:ada@analytical.example"
    ) in lines
    assert (
        "DESCRIPTION:Booked online via “Demo ad”.\\n\\nNote from Ada Lovelace: "
        "Budget\\; timing\\, and C:\\\\data\\nSecond line"
    ) in lines


def test_the_uid_stays_the_same_per_meeting_and_differs_between_meetings(
    creative, rep_a, sink, django_capture_on_commit_callbacks
):
    slots = bookable_slots(rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        first = meeting_book(
            creative=creative,
            starts_at=slots[0].starts_at,
            booker=Booker(email="ada@example.com", first_name="Ada"),
            visitor_id=None,
        )
    with django_capture_on_commit_callbacks(execute=True):
        second = meeting_book(
            creative=creative,
            starts_at=slots[1].starts_at,
            booker=Booker(email="bob@example.com", first_name="Bob"),
            visitor_id=None,
        )

    uids = [
        next(line for line in _lines(_calendar(m)[2]) if line.startswith("UID:"))
        for m in _invites(sink)
    ]
    assert uids == [
        f"UID:meeting-{first.meeting.pk}@crm.example.com",
        f"UID:meeting-{first.meeting.pk}@crm.example.com",
        f"UID:meeting-{second.meeting.pk}@crm.example.com",
        f"UID:meeting-{second.meeting.pk}@crm.example.com",
    ]


def test_a_taken_slot_sends_nothing(
    client, book_url, rep_a, sink, django_capture_on_commit_callbacks
):
    # Given a slot already booked (and its invitations sent)
    slot = bookable_slots(rep_a)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(book_url, _form(slot.key))
    assert len(_invites(sink)) == 2

    # When someone else tries the same slot
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(book_url, _form(slot.key, email="bob@example.com"))

    # Then they are refused and no mail is queued or sent
    assert response.status_code == 400
    assert callbacks == []
    assert len(_invites(sink)) == 2
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"email": "nope"}, {"slot": "2020-01-06T09:00:00Z"}, {"first_name": ""}],
)
def test_bad_input_sends_nothing(
    client, book_url, rep_a, sink, django_capture_on_commit_callbacks, changes
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(book_url, _form(bookable_slots(rep_a)[0].key, **changes))

    assert response.status_code == 400
    assert callbacks == []
    assert sink.messages == []
    assert Meeting.objects.count() == 0


def test_a_rep_without_an_email_address_gets_none_and_the_booker_still_does(
    creative, rep_a, sink, django_capture_on_commit_callbacks
):
    rep_a.email = ""
    rep_a.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        meeting_book(
            creative=creative,
            starts_at=bookable_slots(rep_a)[0].starts_at,
            booker=Booker(email="ada@example.com"),
            visitor_id=None,
        )

    assert [m.rcpt_tos for m in _invites(sink)] == [["ada@example.com"]]
    assert _invites(sink)[0].message["Reply-To"] is None
    assert "Hello,\n\n" in _invites(sink)[0].text
    assert "ORGANIZER;CN=Rep_A:mailto:noreply@revline.local" in _lines(
        _calendar(_invites(sink)[0])[2]
    )


def test_a_failing_mail_server_keeps_the_booking_and_logs_it(
    client, book_url, rep_a, settings, caplog, django_capture_on_commit_callbacks
):
    # Given a mail server that refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    slot = bookable_slots(rep_a)[0]

    # When a visitor books
    with (
        caplog.at_level(logging.ERROR, logger="revline.sales.booking_services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(book_url, _form(slot.key))

    # Then the booking stands and the visitor sees the confirmation; both failures are logged
    assert response.status_code == 302
    assert Meeting.objects.get().starts_at == slot.starts_at
    assert [
        r.getMessage() for r in caplog.records if r.name == "revline.sales.booking_services"
    ] == [
        "Could not send the meeting invitation to ['ada@analytical.example']",
        "Could not send the meeting invitation to ['rep_a@example.com']",
    ]
