"""Booking a meeting from a 'book a meeting' CTA, and reps' availability."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core.models import Role
from revline.people.models import ConsentRecord, Contact
from revline.sales import booking_selectors
from revline.sales.booking_services import (
    SLOT_NOT_OFFERED,
    SLOT_TAKEN,
    Booker,
    availability_add,
    availability_remove,
    meeting_book,
)
from revline.sales.models import Activity, BookingAvailability, Deal, Meeting
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor
from revline.tracking.services import RequestInfo, click_record

from ..conftest import make_user
from ..quotes.cta_fixtures import (
    NOW,
    SLOT_0900,
    SLOT_0930,
    booking_creative,
    make_campaign,
    monday_mornings,
)

ADA = Booker(
    email="Ada@Analytical.example",
    first_name="Ada",
    last_name="Lovelace",
    company_name="Analytical Engines",
    note="We need better attribution.",
)


@pytest.fixture
def creative(rep_a):
    monday_mornings(rep_a)
    return booking_creative(make_campaign(), rep_a)


def _book(creative, starts_at=SLOT_0900, booker=ADA, visitor_id=None, now=NOW):
    return meeting_book(
        creative=creative, starts_at=starts_at, booker=booker, visitor_id=visitor_id, now=now
    )


def _counts() -> tuple[int, int, int, int, int, int]:
    return (
        Contact.objects.count(),
        Meeting.objects.count(),
        Deal.objects.count(),
        Activity.objects.count(),
        Touchpoint.objects.count(),
        Visitor.objects.count(),
    )


def test_booking_creates_the_contact_meeting_activity_deal_and_touchpoint(creative, rep_a):
    # Given a visitor who clicked the creative's tracked link earlier
    visitor = click_record(link=creative.link, visitor_id=None, info=RequestInfo())

    # When they book Monday 09:00 Berlin
    result = _book(creative, visitor_id=visitor.id)

    # Then the contact exists, with its company, and the earlier click is now theirs
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.last_name) == (
        "ada@analytical.example",
        "Ada",
        "Lovelace",
    )
    assert contact.company is not None and contact.company.name == "Analytical Engines"
    assert contact.source == "book_meeting"
    assert contact.lifecycle_stage == "opportunity"
    assert result.visitor_id == visitor.id
    # And the meeting is the rep's, 30 minutes long, with the note
    meeting = result.meeting
    assert (meeting.user, meeting.contact, meeting.creative) == (rep_a, contact, creative)
    assert (meeting.starts_at, meeting.ends_at) == (SLOT_0900, SLOT_0900 + timedelta(minutes=30))
    assert meeting.notes == "We need better attribution."
    # And a deal in the first stage, owned by the rep, opened by nobody in particular
    deal = Deal.objects.get()
    assert meeting.deal == deal
    assert deal.name == "Analytical Engines: meeting from Demo ad"
    assert (deal.owner, deal.contact, deal.company) == (rep_a, contact, contact.company)
    assert (deal.stage.name, deal.status, deal.amount) == ("Qualification", "open", Decimal("0"))
    # And a meeting activity on the deal, at the meeting's time
    activity = Activity.objects.get()
    assert meeting.activity == activity
    assert (activity.kind, activity.deal, activity.contact) == ("meeting", deal, contact)
    assert activity.created_by is None
    assert activity.occurred_at == SLOT_0900
    assert activity.subject == "Meeting with Ada Lovelace on 03 Mar 2025, 09:00"
    assert "Mon 03 Mar 2025, 09:00 (Europe/Berlin), 30 minutes." in activity.body
    assert "Note from Ada Lovelace: We need better attribution." in activity.body
    # And the touchpoints: the click, then the booking, both credited to the campaign and creative
    touchpoints = list(Touchpoint.objects.order_by("pk"))
    assert [tp.kind for tp in touchpoints] == [TouchpointKind.CLICK, TouchpointKind.MEETING_BOOKED]
    booked = touchpoints[1]
    assert (booked.contact, booked.visitor_id) == (contact, visitor.id)
    assert (booked.campaign, booked.creative, booked.link) == (
        creative.campaign,
        creative,
        creative.link,
    )
    assert booked.utm_content == "demo-ad"
    assert booked.params == {
        "meeting": meeting.pk,
        "starts_at": "2025-03-03T08:00:00Z",
        "rep": rep_a.pk,
    }
    assert touchpoints[0].contact == contact


def test_the_booked_slot_is_no_longer_offered(creative, rep_a):
    _book(creative)

    slots = booking_selectors.bookable_slots(rep_a, now=NOW)

    assert SLOT_0900 not in [slot.starts_at for slot in slots]
    assert slots[0].starts_at == SLOT_0930


def test_booking_a_taken_slot_is_refused_and_writes_nothing(creative):
    # Given Ada booked Monday 09:00
    _book(creative)
    before = _counts()

    # When Bob tries to book the same slot
    with pytest.raises(ValidationError) as error:
        _book(creative, booker=Booker(email="bob@example.com", first_name="Bob"))

    # Then he is told it was taken, and nothing about him was stored
    assert error.value.message_dict == {"slot": [SLOT_TAKEN]}
    assert error.value.error_dict["slot"][0].code == "taken"
    assert _counts() == before
    assert not Contact.objects.filter(email="bob@example.com").exists()


def test_the_unique_slot_index_refuses_a_booking_the_slot_check_missed(creative, rep_a):
    # Given a meeting row at 09:00 that the free-slot check does not see as busy (zero length),
    # as a booking committed by a concurrent request between the check and the insert would be
    other = Contact.objects.create(email="first@example.com")
    Meeting.objects.create(user=rep_a, contact=other, starts_at=SLOT_0900, ends_at=SLOT_0900)
    before = _counts()

    # When Ada books 09:00
    with pytest.raises(ValidationError) as error:
        _book(creative)

    # Then the database's unique (rep, start) index refuses it, with the same message,
    # and nothing of Ada's booking is left behind
    assert error.value.message_dict == {"slot": [SLOT_TAKEN]}
    assert _counts() == before
    assert not Contact.objects.filter(email="ada@analytical.example").exists()


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(2025, 3, 3, 8, 15, tzinfo=UTC),  # 09:15: between two slots
        datetime(2025, 3, 3, 11, 0, tzinfo=UTC),  # 12:00: outside the window
        datetime(2025, 3, 4, 8, 0, tzinfo=UTC),  # a Tuesday
        datetime(2025, 3, 24, 8, 0, tzinfo=UTC),  # three weeks ahead: beyond the horizon
    ],
)
def test_a_time_that_is_not_offered_is_refused_and_writes_nothing(creative, starts_at):
    with pytest.raises(ValidationError) as error:
        _book(creative, starts_at=starts_at)

    assert error.value.message_dict == {"slot": [SLOT_NOT_OFFERED]}
    assert _counts() == (0, 0, 0, 0, 0, 0)


def test_a_slot_in_the_past_is_refused(creative):
    # Given it is already 10:00 Berlin on Monday
    later = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    # When someone posts the 09:00 slot they saw earlier
    with pytest.raises(ValidationError) as error:
        _book(creative, starts_at=SLOT_0900, now=later)

    # Then it is refused
    assert error.value.message_dict == {"slot": [SLOT_NOT_OFFERED]}
    assert Meeting.objects.count() == 0


def test_an_inactive_rep_cannot_be_booked(creative, rep_a):
    rep_a.is_active = False
    rep_a.save()

    with pytest.raises(ValidationError, match="can no longer be booked"):
        _book(creative)

    assert _counts() == (0, 0, 0, 0, 0, 0)


def test_consent_is_recorded_only_when_given(creative):
    _book(creative, booker=Booker(email="no@example.com", first_name="No"))
    _book(
        creative,
        starts_at=SLOT_0930,
        booker=Booker(email="yes@example.com", first_name="Yes", consent=True),
    )

    records = list(ConsentRecord.objects.values_list("contact__email", "purpose", "status"))
    assert records == [("yes@example.com", "marketing_email", "granted")]


def test_an_existing_contact_is_reused_and_keeps_its_name(creative):
    Contact.objects.create(email="ada@analytical.example", first_name="Augusta")

    _book(creative)

    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Augusta", "Lovelace")
    assert Meeting.objects.get().contact == contact


def test_a_deal_without_a_company_is_named_after_the_person(creative):
    _book(creative, booker=Booker(email="solo@example.com", first_name="Sol", last_name="O"))

    assert Deal.objects.get().name == "Sol O: meeting from Demo ad"


# Availability


def test_a_rep_adds_a_window_of_their_own(rep_a):
    window = availability_add(
        actor=rep_a,
        user=rep_a,
        weekday=2,
        start_time=time(14, 0),
        end_time=time(16, 0),
        slot_minutes=45,
        time_zone=" America/New_York ",
    )

    stored = BookingAvailability.objects.get()
    assert stored == window
    assert (stored.weekday, stored.start_time, stored.end_time) == (2, time(14), time(16))
    assert (stored.slot_minutes, stored.time_zone) == (45, "America/New_York")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": time(9, 0)}, "end_time", "The window must end after it starts."),
        ({"end_time": time(11, 20)}, "end_time", "The window is shorter than one slot."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Use a time zone name"),
        ({"slot_minutes": 5}, "slot_minutes", "Slots last between 10 and 240 minutes."),
        ({"weekday": 7}, "weekday", "Pick a day of the week."),
        ({"start_time": time(10, 30), "end_time": time(12)}, "start_time", "overlaps"),
    ],
)
def test_bad_windows_are_refused_and_nothing_is_stored(rep_a, changes, field, message):
    existing = monday_mornings(rep_a)  # Mondays 09:00-11:00
    values = {
        "weekday": 0,
        "start_time": time(11, 0),
        "end_time": time(12, 0),
        "slot_minutes": 30,
        "time_zone": "Europe/Berlin",
    }
    values.update(changes)

    with pytest.raises(ValidationError) as error:
        availability_add(actor=rep_a, user=rep_a, **values)

    assert field in error.value.message_dict
    assert message in error.value.message_dict[field][0]
    assert list(BookingAvailability.objects.all()) == [existing]


def test_windows_may_touch_without_overlapping(rep_a):
    monday_mornings(rep_a)  # 09:00-11:00

    availability_add(
        actor=rep_a,
        user=rep_a,
        weekday=0,
        start_time=time(11, 0),
        end_time=time(12, 0),
        slot_minutes=30,
        time_zone="Europe/Berlin",
    )

    assert BookingAvailability.objects.count() == 2


def test_who_may_set_whose_availability(rep_a, rep_b, manager_a, admin_user, marketer):
    def allowed(actor, user) -> bool:
        return booking_selectors.can_manage_availability(actor, user)

    assert allowed(rep_a, rep_a)
    assert not allowed(rep_a, rep_b)
    assert allowed(manager_a, rep_a)
    assert not allowed(manager_a, rep_b)
    assert allowed(admin_user, rep_b)
    assert not allowed(marketer, rep_a)
    # Marketers and admins do not take meetings from public pages.
    assert not allowed(marketer, marketer)
    assert not allowed(admin_user, admin_user)
    assert list(booking_selectors.availability_users_for(manager_a)) == [manager_a, rep_a]


def test_a_rep_cannot_set_another_reps_availability(rep_a, rep_b):
    with pytest.raises(PermissionDenied):
        availability_add(
            actor=rep_a,
            user=rep_b,
            weekday=0,
            start_time=time(9),
            end_time=time(10),
            slot_minutes=30,
            time_zone="UTC",
        )

    assert BookingAvailability.objects.count() == 0


def test_removing_a_window_keeps_booked_meetings(creative, rep_a, rep_b):
    _book(creative)
    window = BookingAvailability.objects.get()

    with pytest.raises(PermissionDenied):
        availability_remove(actor=rep_b, window=window)
    availability_remove(actor=rep_a, window=window)

    assert BookingAvailability.objects.count() == 0
    assert Meeting.objects.count() == 1


def test_only_active_reps_and_managers_with_hours_are_bookable(rep_a, rep_b, manager_a, marketer):
    monday_mornings(rep_a)
    monday_mornings(rep_a).weekday = 1  # a second window does not list the rep twice
    monday_mornings(manager_a)
    monday_mornings(marketer)
    inactive = make_user("gone", Role.SALES_REP)
    monday_mornings(inactive)
    inactive.is_active = False
    inactive.save()

    assert list(booking_selectors.bookable_users()) == [manager_a, rep_a]
