"""The availability page for reps, and the public booking page of a 'book a meeting' CTA."""

import re
from datetime import time

import pytest

from revline.campaigns.creative_selectors import creative_public_key
from revline.people.models import Contact
from revline.sales.booking_selectors import bookable_slots
from revline.sales.booking_services import SLOT_NOT_OFFERED, SLOT_TAKEN
from revline.sales.models import BookingAvailability, Deal, Meeting
from revline.tracking.models import Touchpoint, Visitor

from ..quotes.cta_fixtures import booking_creative, every_day, make_campaign, monday_mornings

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def creative(rep_a):
    every_day(rep_a)
    return booking_creative(make_campaign(), rep_a)


@pytest.fixture
def book_url(creative):
    return f"/book/{creative_public_key(creative)}"


def _booking(slot_key: str, **changes):
    data = {
        "slot": slot_key,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@analytical.example",
        "company_name": "Analytical Engines",
        "note": "Attribution questions",
        "website": "",
    }
    data.update(changes)
    return data


def _counts():
    return (
        Meeting.objects.count(),
        Deal.objects.count(),
        Contact.objects.count(),
        Touchpoint.objects.count(),
        Visitor.objects.count(),
    )


# Availability


def test_a_rep_sees_and_adds_their_hours(client, rep_a):
    client.force_login(rep_a)
    page = client.get("/sales/availability/")
    assert page.status_code == 200
    assert "No hours set yet" in page.content.decode()

    response = client.post(
        "/sales/availability/",
        {
            "weekday": "1",
            "start_time": "09:00",
            "end_time": "12:00",
            "slot_minutes": "45",
            "time_zone": "Europe/Berlin",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/sales/availability/"
    window = BookingAvailability.objects.get()
    assert (window.user, window.weekday, window.start_time, window.end_time) == (
        rep_a,
        1,
        time(9),
        time(12),
    )
    assert (window.slot_minutes, window.time_zone) == (45, "Europe/Berlin")
    html = client.get("/sales/availability/").content.decode()
    assert f'<li data-window="{window.pk}">' in html
    assert "<strong>Tuesday</strong> 09:00–12:00" in html
    assert "45-minute meetings · Europe/Berlin" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_time": "08:00"}, "The window must end after it starts."),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice."),
        ({"slot_minutes": "7"}, "Select a valid choice."),
        ({"start_time": "25:00"}, "Enter a valid time."),
        ({"weekday": "9"}, "Select a valid choice."),
    ],
)
def test_bad_hours_show_the_error_and_store_nothing(client, rep_a, changes, message):
    client.force_login(rep_a)
    data = {
        "weekday": "1",
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": "30",
        "time_zone": "UTC",
    }
    data.update(changes)

    response = client.post("/sales/availability/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert BookingAvailability.objects.count() == 0


def test_removing_hours_needs_permission(client, rep_a, rep_b):
    window = monday_mornings(rep_a)

    client.force_login(rep_b)
    assert client.post(f"/sales/availability/{window.pk}/delete/").status_code == 403
    assert client.get(f"/sales/availability/{window.pk}/delete/").status_code == 405
    assert BookingAvailability.objects.count() == 1

    client.force_login(rep_a)
    response = client.post(f"/sales/availability/{window.pk}/delete/")
    assert response.status_code == 302
    assert BookingAvailability.objects.count() == 0


def test_a_manager_sets_the_hours_of_a_rep_of_their_team_only(client, manager_a, rep_a, rep_b):
    client.force_login(manager_a)
    data = {
        "user": str(rep_a.pk),
        "weekday": "0",
        "start_time": "09:00",
        "end_time": "10:00",
        "slot_minutes": "30",
        "time_zone": "UTC",
    }

    assert client.get(f"/sales/availability/?user={rep_a.pk}").status_code == 200
    response = client.post("/sales/availability/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/sales/availability/?user={rep_a.pk}"
    assert BookingAvailability.objects.get().user == rep_a

    assert client.get(f"/sales/availability/?user={rep_b.pk}").status_code == 404
    assert client.post("/sales/availability/", {**data, "user": str(rep_b.pk)}).status_code == 404
    assert client.get("/sales/availability/?user=abc").status_code == 404
    assert BookingAvailability.objects.count() == 1


def test_a_marketer_has_no_availability_to_set(client, marketer):
    client.force_login(marketer)

    response = client.post(
        "/sales/availability/",
        {
            "weekday": "0",
            "start_time": "09:00",
            "end_time": "10:00",
            "slot_minutes": "30",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 403
    assert BookingAvailability.objects.count() == 0


# The public booking page


def test_the_booking_page_lists_free_slots_and_writes_nothing(client, book_url, rep_a):
    first = bookable_slots(rep_a)[0]

    response = client.get(book_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "See Revline in 30 minutes" in html
    assert "Meet <strong>Rep_A</strong> · times shown in UTC" in html
    assert f'name="slot" value="{first.key}"' in html
    assert len(re.findall(r'name="slot"', html)) == len(bookable_slots(rep_a))
    assert _counts() == (0, 0, 0, 0, 0)


def test_a_visitor_books_a_slot_and_sees_the_confirmation(client, book_url, rep_a):
    slot = bookable_slots(rep_a)[0]

    response = client.post(book_url, _booking(slot.key))

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.user, meeting.starts_at) == (rep_a, slot.starts_at)
    assert meeting.contact.email == "ada@analytical.example"
    assert response.cookies["rl_vid"].value == str(Touchpoint.objects.get().visitor_id)
    done = client.get(response["Location"])
    assert done.status_code == 200
    html = done.content.decode()
    assert f"at {slot.starts_at:%H:%M}–{slot.ends_at:%H:%M} (UTC) with Rep_A." in html
    assert slot.key not in client.get(book_url).content.decode()


def test_booking_a_slot_just_taken_says_so_and_writes_nothing(client, book_url, rep_a):
    slot = bookable_slots(rep_a)[0]
    client.post(book_url, _booking(slot.key))
    before = _counts()

    response = client.post(book_url, _booking(slot.key, email="bob@example.com"))

    assert response.status_code == 400
    assert SLOT_TAKEN in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize(
    "slot_key",
    ["2020-01-06T09:00:00Z", "2099-01-05T09:00:00Z", "2030-01-01T03:00:00Z", "x"],
)
def test_a_tampered_slot_is_refused_with_a_clear_message(client, book_url, slot_key):
    response = client.post(book_url, _booking(slot_key))

    html = response.content.decode()
    assert response.status_code == 400
    assert SLOT_NOT_OFFERED in html or "Pick one of the listed times." in html
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slot": ""}, "Pick a time."),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"note": "x" * 2001}, "Ensure this value has at most 2000 characters"),
        ({"website": "http://spam.example"}, "Please leave the website field empty."),
    ],
)
def test_bad_booking_input_shows_the_error_and_writes_nothing(
    client, book_url, rep_a, changes, message
):
    response = client.post(book_url, _booking(bookable_slots(rep_a)[0].key, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts() == (0, 0, 0, 0, 0)


def test_the_chosen_slot_stays_selected_after_an_error(client, book_url, rep_a):
    slot = bookable_slots(rep_a)[1]

    response = client.post(book_url, _booking(slot.key, email="nope"))

    assert f'value="{slot.key}" checked' in response.content.decode()


def test_hostile_values_are_stored_as_text_and_shown_escaped(client, book_url, rep_a):
    response = client.post(
        book_url, _booking(bookable_slots(rep_a)[0].key, first_name=XSS, note=XSS)
    )

    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert XSS not in done
    assert ESCAPED in done
    meeting = Meeting.objects.get()
    assert meeting.notes == XSS
    client.force_login(rep_a)
    deal_page = client.get(f"/sales/deals/{meeting.deal.pk}/").content.decode()
    assert XSS not in deal_page
    # The deal page lists activities in its activities panel (loaded with htmx).
    activity = meeting.deal.activities.get()
    assert f"Note from {XSS} Lovelace: {XSS}" in activity.body


def test_an_inactive_rep_shows_an_unavailable_page(client, book_url, rep_a):
    rep_a.is_active = False
    rep_a.save()

    response = client.get(book_url)

    assert response.status_code == 410
    assert "Booking is not available" in response.content.decode()


def test_unknown_booking_pages_and_confirmations_are_not_found(client, creative, book_url):
    assert client.get(f"/book/{creative.pk}").status_code == 404
    assert client.get(f"/book/{creative.pk}.forged").status_code == 404
    assert client.get(f"/buy/{creative_public_key(creative)}").status_code == 404
    assert client.get(f"{book_url}/booked/1.forged").status_code == 404


def test_the_booking_page_is_rate_limited(client, book_url, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2

    statuses = [client.get(book_url).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
