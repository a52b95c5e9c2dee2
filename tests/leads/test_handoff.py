"""Qualification, the SLA clock, breaches, and the rep's decision (accept / reject / recycle)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from revline.campaigns.models import Campaign, Channel
from revline.content.models import Form
from revline.content.services import form_submission_create
from revline.core.models import Notification, Role
from revline.leads.handoff_services import (
    contact_disqualify,
    contact_recycle,
    handoff_accept,
    handoff_reassign,
    handoff_reject,
    handoffs_check_breaches,
    routing_rule_create,
)
from revline.leads.models import (
    Handoff,
    HandoffStatus,
    LifecycleTransition,
    ScoreChange,
    TransitionCause,
)
from revline.leads.qualification_services import contact_check_mql, contact_qualify
from revline.leads.selectors import lead_settings_get
from revline.people.models import Company, Contact
from revline.sales.activity_services import activity_log
from revline.sales.booking_services import Booker, meeting_book
from revline.sales.models import Deal
from revline.tracking.models import TouchpointKind
from revline.tracking.services import RequestInfo, touchpoint_record

from ..conftest import make_user
from ..quotes.cta_fixtures import NOW as BOOKING_NOW
from ..quotes.cta_fixtures import SLOT_0900, booking_creative, make_campaign, monday_mornings

MONDAY_10 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, the default business zone
MONDAY_14 = datetime(2025, 3, 3, 13, 0, tzinfo=UTC)


@pytest.fixture
def team_rule(admin_user, rep_a):
    return routing_rule_create(
        actor=admin_user, name="Team A", method="round_robin", team=rep_a.team
    )


def scored(email="ada@example.com", *, fit=25, engagement=44, stage="lead", company=None):
    return Contact.objects.create(
        email=email,
        first_name="Ada",
        last_name="Lovelace",
        fit_score=fit,
        engagement_score=engagement,
        lifecycle_stage=stage,
        company=company,
    )


def open_handoff(contact=None, now=MONDAY_10) -> Handoff:
    handoff = contact_qualify(
        contact=contact or scored(), cause=TransitionCause.PERSON, reason="Asked", now=now
    )
    assert handoff is not None
    return handoff


# ---- qualification -----------------------------------------------------------------------------


def test_score_thresholds_qualify_with_an_explained_reason(team_rule, rep_a):
    # Given the default rule (fit ≥ 20 and engagement ≥ 40), a campaign touch and a score line
    contact = scored()
    campaign = Campaign.objects.create(name="Spring", channel=Channel.PAID_SEARCH)
    touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=None,
        contact=contact,
        campaign=campaign,
        info=RequestInfo(url="https://example.com/pricing"),
        occurred_at=MONDAY_10 - timedelta(hours=1),
    )
    ScoreChange.objects.create(
        contact=contact,
        kind="engagement",
        points=15,
        reason="Visited /pricing",
        occurred_at=MONDAY_10 - timedelta(hours=1),
        score_after=44,
    )
    # When the scores are checked
    handoff = contact_check_mql(contact=contact, now=MONDAY_10)
    # Then the contact is an MQL for the score, with the reason, source and explanation
    assert handoff is not None
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    transition = LifecycleTransition.objects.get(contact=contact, to_stage="mql")
    assert (transition.cause, transition.reason) == ("score", "Fit 25 ≥ 20 and engagement 44 ≥ 40")
    assert (handoff.qualified_by, handoff.qualification_reason) == (
        "score",
        "Fit 25 ≥ 20 and engagement 44 ≥ 40",
    )
    assert (handoff.campaign, handoff.channel) == (campaign, "paid_search")
    assert handoff.explanation["score_lines"] == [
        {
            "kind": "engagement",
            "points": 15,
            "reason": "Visited /pricing",
            "at": "2025-03-03T08:00:00+00:00",
        }
    ]
    assert handoff.explanation["touches"] == [
        {
            "kind": "page_view",
            "label": "Page view",
            "url": "https://example.com/pricing",
            "campaign": "Spring",
            "at": "2025-03-03T08:00:00+00:00",
        }
    ]
    # And routed, with a due time 4 business hours later (Berlin 10:00 → 14:00)
    assert (handoff.assigned_to, handoff.due_at, handoff.status) == (rep_a, MONDAY_14, "open")


@pytest.mark.parametrize(("fit", "engagement"), [(19, 90), (90, 39)])
def test_both_thresholds_must_hold(team_rule, fit, engagement):
    contact = scored(fit=fit, engagement=engagement)
    assert contact_check_mql(contact=contact, now=MONDAY_10) is None
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "lead"
    assert not Handoff.objects.exists()


def test_an_empty_threshold_is_not_required_and_no_thresholds_means_no_score_rule(team_rule):
    settings = lead_settings_get()
    settings.mql_fit_min = None
    settings.save()
    handoff = contact_check_mql(contact=scored(fit=0, engagement=40), now=MONDAY_10)
    assert handoff is not None and handoff.qualification_reason == "Engagement 40 ≥ 40"
    settings.mql_engagement_min = None
    settings.save()
    assert contact_check_mql(contact=scored("b@example.com", engagement=99), now=MONDAY_10) is None


def test_a_contact_at_or_past_mql_is_not_qualified_again(team_rule):
    for stage in ("mql", "sal", "opportunity", "customer", "disqualified"):
        contact = scored(f"{stage}@example.com", stage=stage)
        assert contact_check_mql(contact=contact, now=MONDAY_10) is None
    assert not Handoff.objects.exists()
    assert not LifecycleTransition.objects.exists()


def test_a_hand_raiser_form_qualifies_through_the_real_submission(team_rule, rep_a):
    # Given "Contact sales" is a hand-raiser form (and a newsletter form is not)
    contact_sales = Form.objects.create(name="Contact sales", embed_key="k-sales")
    newsletter = Form.objects.create(name="Newsletter", embed_key="k-news")
    lead_settings_get().hand_raiser_forms.set([contact_sales])

    def submit(form: Form, email: str) -> Contact:
        contact, _ = form_submission_create(
            page=None,
            form=form,
            values={"email": email},
            consent=False,
            visitor_id=None,
            ip_address=None,
            utm={},
            info=RequestInfo(),
        )
        contact.refresh_from_db()
        return contact

    # When someone signs up for the newsletter, they stay a lead
    assert submit(newsletter, "news@example.com").lifecycle_stage == "lead"
    assert not Handoff.objects.exists()
    # When someone submits "Contact sales", they become an MQL handed to the rep
    contact = submit(contact_sales, "buyer@example.com")
    assert contact.lifecycle_stage == "mql"
    handoff = Handoff.objects.get()
    assert (handoff.contact, handoff.qualified_by, handoff.assigned_to) == (contact, "form", rep_a)
    assert handoff.qualification_reason == "Submitted the hand-raiser form “Contact sales”"


def test_a_booked_meeting_qualifies_and_goes_to_the_rep_it_was_booked_with(
    admin_user, rep_a, rep_b
):
    # Given a routing rule that would send everyone to rep_b
    routing_rule_create(actor=admin_user, name="B", method="round_robin", team=rep_b.team)
    monday_mornings(rep_a)
    creative = booking_creative(make_campaign(), rep_a)
    # When a visitor books a meeting with rep_a
    meeting_book(
        creative=creative,
        starts_at=SLOT_0900,
        booker=Booker(email="ada@example.com", first_name="Ada", last_name="L", company_name=""),
        visitor_id=None,
        now=BOOKING_NOW,
    )
    # Then the hand-off is rep_a's, qualified by the meeting, and already touched (the meeting)
    handoff = Handoff.objects.get()
    assert (handoff.assigned_to, handoff.qualified_by, handoff.first_touch_at) == (
        rep_a,
        "meeting",
        BOOKING_NOW,
    )
    stages = list(
        LifecycleTransition.objects.order_by("occurred_at", "pk").values_list("to_stage", flat=True)
    )
    assert stages == ["mql", "opportunity"]


def test_no_meeting_rule_no_hand_off(rep_a):
    settings = lead_settings_get()
    settings.mql_on_meeting_booked = False
    settings.save()
    monday_mornings(rep_a)
    meeting_book(
        creative=booking_creative(make_campaign(), rep_a),
        starts_at=SLOT_0900,
        booker=Booker(email="ada@example.com", first_name="Ada", last_name="L", company_name=""),
        visitor_id=None,
        now=BOOKING_NOW,
    )
    assert not Handoff.objects.exists()


def test_a_recycled_contact_can_qualify_again_with_a_new_hand_off(team_rule, rep_a):
    contact = scored()
    first = contact_check_mql(contact=contact, now=MONDAY_10)
    handoff_reject(actor=rep_a, handoff=first, reason="not_now", now=MONDAY_10 + timedelta(hours=1))
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "recycled"
    second = contact_check_mql(contact=contact, now=MONDAY_10 + timedelta(days=30))
    assert second is not None and second.pk != first.pk
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    assert Handoff.objects.filter(contact=contact).count() == 2


# ---- SLA clock ---------------------------------------------------------------------------------


def test_the_due_time_counts_business_hours_from_the_frozen_clock(team_rule):
    # Friday 15:00 Berlin, with the clock frozen: 2 h left on Friday, 2 h on Monday
    with time_machine.travel(datetime(2025, 3, 7, 14, 0, tzinfo=UTC), tick=False):
        handoff = contact_check_mql(contact=scored())
    assert handoff is not None
    assert handoff.qualified_at == datetime(2025, 3, 7, 14, 0, tzinfo=UTC)
    assert handoff.due_at == datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # Monday 11:00 Berlin


def test_the_business_calendar_comes_from_the_settings(team_rule):
    settings = lead_settings_get()
    settings.business_timezone = "America/New_York"
    settings.sla_hours = 2
    settings.save()
    # Monday 10:00 UTC = 05:00 New York: counting starts at 09:00 New York = 14:00 UTC
    handoff = contact_check_mql(contact=scored(), now=datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    assert handoff.due_at == datetime(2025, 3, 3, 16, 0, tzinfo=UTC)


def test_an_activity_by_the_assignee_is_the_first_touch(team_rule, rep_a, rep_b):
    handoff = contact_check_mql(contact=scored(), now=MONDAY_10)
    contact = handoff.contact
    # Someone else's activity does not stop the clock
    activity_log(actor=rep_b, kind="note", subject="Saw this", contact=contact,
                 occurred_at=MONDAY_10 + timedelta(minutes=20))  # fmt: skip
    handoff.refresh_from_db()
    assert handoff.first_touch_at is None
    # The assignee's call does
    touched = MONDAY_10 + timedelta(minutes=45)
    activity_log(
        actor=rep_a, kind="call", subject="Intro call", contact=contact, occurred_at=touched
    )
    handoff.refresh_from_db()
    assert (handoff.first_touch_at, handoff.breached_at) == (touched, None)


def test_a_breach_is_flagged_and_escalated_to_the_team_manager_once(
    team_rule, rep_a, manager_a, mailoutbox, django_capture_on_commit_callbacks
):
    handoff = contact_check_mql(contact=scored(), now=MONDAY_10)
    # Before the deadline nothing happens
    assert handoffs_check_breaches(now=MONDAY_14 - timedelta(minutes=1)) == 0
    # After it, the breach is flagged and the manager hears about it in the app and by email
    with django_capture_on_commit_callbacks(execute=True):
        assert handoffs_check_breaches(now=MONDAY_14 + timedelta(minutes=5)) == 1
    handoff.refresh_from_db()
    assert (handoff.breached_at, handoff.escalated_to) == (MONDAY_14, manager_a)
    notice = Notification.objects.get(user=manager_a)
    assert (notice.kind, notice.url) == ("sla_breach", f"/leads/handoffs/{handoff.pk}/")
    assert notice.text == "SLA missed: Rep_A has not touched the MQL Ada Lovelace in time"
    assert [m.to for m in mailoutbox if "SLA missed" in m.subject] == [["manager_a@example.com"]]
    # Running again escalates nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert handoffs_check_breaches(now=MONDAY_14 + timedelta(hours=3)) == 0
    assert Notification.objects.filter(kind="sla_breach").count() == 1


def test_touched_or_decided_hand_offs_never_breach(team_rule, rep_a, manager_a):
    touched = contact_check_mql(contact=scored(), now=MONDAY_10)
    activity_log(actor=rep_a, kind="call", subject="Call", contact=touched.contact,
                 occurred_at=MONDAY_10 + timedelta(hours=1))  # fmt: skip
    decided = contact_check_mql(contact=scored("b@example.com"), now=MONDAY_10)
    handoff_accept(actor=rep_a, handoff=decided, now=MONDAY_10 + timedelta(hours=2))
    assert handoffs_check_breaches(now=MONDAY_14 + timedelta(days=2)) == 0
    assert not Notification.objects.filter(kind="sla_breach").exists()


def test_a_late_first_touch_counts_as_a_breach_without_escalation(team_rule, rep_a, manager_a):
    handoff = contact_check_mql(contact=scored(), now=MONDAY_10)
    handoff_accept(actor=rep_a, handoff=handoff, now=MONDAY_14 + timedelta(minutes=30))
    handoff.refresh_from_db()
    assert (handoff.first_touch_at, handoff.breached_at) == (
        MONDAY_14 + timedelta(minutes=30),
        MONDAY_14,
    )
    assert not Notification.objects.filter(kind="sla_breach").exists()


# ---- decisions ---------------------------------------------------------------------------------


def test_accept_makes_the_contact_an_sal(team_rule, rep_a):
    handoff = open_handoff()
    handoff_accept(actor=rep_a, handoff=handoff, now=MONDAY_14)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.decided_by, handoff.decided_at, handoff.deal) == (
        "accepted",
        rep_a,
        MONDAY_14,
        None,
    )
    transition = LifecycleTransition.objects.filter(contact=handoff.contact).first()
    assert (transition.from_stage, transition.to_stage, transition.cause, transition.actor) == (
        "mql",
        "sal",
        "person",
        rep_a,
    )
    assert not Deal.objects.exists()


def test_accept_with_a_deal_opens_it_in_the_first_stage_and_links_it(team_rule, rep_a):
    company = Company.objects.create(name="Analytical Engines")
    handoff = open_handoff(scored(company=company))
    handoff_accept(actor=rep_a, handoff=handoff, create_deal=True, amount=Decimal("1200"))
    handoff.refresh_from_db()
    deal = Deal.objects.get()
    assert handoff.deal == deal
    assert (deal.name, deal.amount, deal.owner, deal.company, deal.contact) == (
        "Analytical Engines: new business",
        Decimal("1200.00"),
        rep_a,
        company,
        handoff.contact,
    )
    assert deal.stage.name == "Qualification"
    stages = list(
        LifecycleTransition.objects.filter(contact=handoff.contact)
        .order_by("occurred_at", "pk")
        .values_list("to_stage", flat=True)
    )
    assert stages == ["mql", "sal", "opportunity"]


def test_reject_recycles_the_contact_with_the_reason_visible(team_rule, rep_a):
    handoff = open_handoff()
    handoff_reject(actor=rep_a, handoff=handoff, reason="no_budget", note="Next fiscal year",
                   now=MONDAY_14)  # fmt: skip
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reject_reason, handoff.reject_note) == (
        "rejected",
        "no_budget",
        "Next fiscal year",
    )
    contact = Contact.objects.get(pk=handoff.contact_id)
    assert contact.lifecycle_stage == "recycled"
    transition = LifecycleTransition.objects.filter(contact=contact).first()
    assert (transition.to_stage, transition.cause, transition.actor, transition.reason) == (
        "recycled",
        "person",
        rep_a,
        "Rejected by sales: No budget: Next fiscal year",
    )


def test_a_bad_reject_reason_changes_nothing(team_rule, rep_a):
    handoff = open_handoff()
    for reason, note in (("too_ugly", ""), ("other", "  ")):
        with pytest.raises(ValidationError):
            handoff_reject(actor=rep_a, handoff=handoff, reason=reason, note=note)
    handoff.refresh_from_db()
    assert handoff.status == "open"
    assert Contact.objects.get(pk=handoff.contact_id).lifecycle_stage == "mql"


def test_deciding_twice_is_refused_with_a_message(team_rule, rep_a):
    handoff = open_handoff()
    handoff_accept(actor=rep_a, handoff=handoff, now=MONDAY_14)
    with pytest.raises(ValidationError) as refused:
        handoff_reject(actor=rep_a, handoff=handoff, reason="not_a_fit")
    assert refused.value.messages == ["This hand-off was already accepted by Rep_A on 03 Mar 2025."]
    with pytest.raises(ValidationError):
        handoff_accept(actor=rep_a, handoff=handoff, create_deal=True)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reject_reason) == ("accepted", "")
    assert not Deal.objects.exists()


def test_only_the_assignee_their_manager_or_an_admin_decide(
    team_rule, rep_a, rep_b, manager_a, marketer, admin_user, team_b
):
    handoff = open_handoff()
    manager_b = make_user("manager_b", Role.SALES_MANAGER, team_b)
    for outsider in (rep_b, manager_b, marketer):
        with pytest.raises(PermissionDenied):
            handoff_accept(actor=outsider, handoff=handoff)
        with pytest.raises(PermissionDenied):
            handoff_reject(actor=outsider, handoff=handoff, reason="not_a_fit")
    handoff.refresh_from_db()
    assert handoff.status == "open"
    handoff_accept(actor=manager_a, handoff=handoff)
    assert Handoff.objects.get().decided_by == manager_a
    second = open_handoff(scored("b@example.com"))
    handoff_reject(actor=admin_user, handoff=second, reason="duplicate")
    assert Handoff.objects.get(pk=second.pk).status == HandoffStatus.REJECTED


def test_a_manager_reassigns_within_the_team_only(team_rule, rep_a, rep_b, manager_a):
    rep_c = make_user("rep_c", Role.SALES_REP, rep_a.team)
    handoff = open_handoff()
    with pytest.raises(ValidationError):
        handoff_reassign(actor=manager_a, handoff=handoff, assignee=rep_b)
    with pytest.raises(PermissionDenied):
        handoff_reassign(actor=rep_a, handoff=handoff, assignee=rep_c)
    handoff_reassign(actor=manager_a, handoff=handoff, assignee=rep_c, now=MONDAY_10)
    handoff.refresh_from_db()
    assert (handoff.assigned_to, handoff.due_at) == (rep_c, MONDAY_14)
    assert Contact.objects.get(pk=handoff.contact_id).owner == rep_c
    assert Notification.objects.filter(user=rep_c, kind="mql_routed").count() == 1
    # The old rep can no longer decide it
    with pytest.raises(PermissionDenied):
        handoff_accept(actor=rep_a, handoff=handoff)


def test_recycle_and_disqualify_are_explicit_and_close_an_open_hand_off(team_rule, marketer, rep_b):
    handoff = open_handoff()
    contact = handoff.contact
    with pytest.raises(PermissionDenied):
        contact_recycle(actor=rep_b, contact=contact, reason="not_now")
    contact_recycle(actor=marketer, contact=contact, reason="not_now", note="Q3", now=MONDAY_14)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.reject_reason, handoff.decided_by) == (
        "rejected",
        "not_now",
        marketer,
    )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "recycled"
    with pytest.raises(ValidationError):
        contact_recycle(actor=marketer, contact=contact, reason="not_now")
    transition = contact_disqualify(actor=marketer, contact=contact, reason="not_a_fit")
    assert (transition.from_stage, transition.to_stage, transition.reason) == (
        "recycled",
        "disqualified",
        "Not a fit",
    )
    # A disqualified contact is not qualified by its score again
    contact.refresh_from_db()
    assert contact_check_mql(contact=contact, now=MONDAY_14) is None


def test_customers_cannot_be_recycled(marketer):
    contact = scored(stage="customer")
    with pytest.raises(ValidationError):
        contact_recycle(actor=marketer, contact=contact, reason="not_now")
    assert Contact.objects.get().lifecycle_stage == "customer"
