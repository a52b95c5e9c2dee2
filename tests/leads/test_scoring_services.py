"""Lead scoring with the database: fit from rules, engagement from touches (limits, decay),
explanations, the company roll-up, the hooks and a broken rule that breaks nothing else."""

from datetime import UTC, datetime, timedelta

import pytest

from revline.email.models import Enrollment, Sequence, SequenceStatus, SequenceTrigger
from revline.leads import scoring_services as svc
from revline.leads.models import EngagementRule, FitRule, ScoreChange
from revline.leads.selectors import lead_settings_get
from revline.people.models import Company
from revline.people.services import company_create, company_update, contact_create, contact_update
from revline.tracking.models import Touchpoint, Visitor
from revline.tracking.services import RequestInfo, touchpoint_record, visitor_identify

T0 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
PRICING = "https://www.acme.example/pricing"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the work queued on commit (the fit recompute) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def changes(contact, kind=None):
    rows = ScoreChange.objects.filter(contact=contact).order_by("occurred_at", "pk")
    if kind:
        rows = rows.filter(kind=kind)
    return [(c.points, c.reason) for c in rows]


def view(contact, *, url=PRICING, at=T0, kind="page_view", **extra):
    return touchpoint_record(
        kind=kind, visitor=None, contact=contact, info=RequestInfo(url=url), occurred_at=at, **extra
    )


def pricing_rule(actor, **overrides):
    data = {
        "name": "Pricing page",
        "touchpoint_kind": "page_view",
        "url_pattern": "/pricing",
        "points": 15,
    }
    data.update(overrides)
    return svc.engagement_rule_create(actor=actor, **data)


# --- No rules, no scores ---------------------------------------------------------------------------


def test_nothing_is_scored_when_there_are_no_rules(db):
    contact = contact_create(actor=None, email="ana@acme.example", title="VP Sales")
    view(contact)

    contact.refresh_from_db()
    assert (contact.fit_score, contact.engagement_score, contact.engagement_at) == (0, 0, None)
    assert ScoreChange.objects.count() == 0


# --- Fit ---------------------------------------------------------------------------------------------


def test_a_new_fit_rule_scores_existing_contacts_and_explains_it(marketer, committed):
    ana = contact_create(actor=None, email="ana@acme.example", title="VP Sales")
    bob = contact_create(actor=None, email="bob@acme.example", title="Intern")

    with committed():
        svc.fit_rule_create(
            actor=marketer, field="contact.title", operator="contains", value="VP", points=15
        )

    ana.refresh_from_db()
    bob.refresh_from_db()
    assert (ana.fit_score, bob.fit_score) == (15, 0)
    assert changes(ana) == [(15, "Job title contains 'VP' (+15)")]
    assert changes(bob) == []


def test_fit_follows_contact_and_company_changes(marketer, committed):
    svc.fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=15
    )
    svc.fit_rule_create(
        actor=marketer,
        field="company.industry",
        operator="in_list",
        value="Software, Fintech",
        points=10,
    )
    acme = company_create(actor=None, name="Acme", industry="Retail")
    ana = contact_create(actor=None, email="ana@acme.example", title="VP Sales", company=acme)
    assert ana.fit_score == 15

    company_update(actor=marketer, company=acme, industry="software")
    ana.refresh_from_db()
    assert ana.fit_score == 25

    contact_update(actor=marketer, contact=ana, title="Account executive")
    ana.refresh_from_db()
    assert ana.fit_score == 10
    assert changes(ana) == [
        (15, "Job title contains 'VP' (+15)"),
        (10, "Industry is one of 'Software, Fintech' (+10)"),
        (-15, "Job title contains 'VP' no longer holds (-15)"),
    ]
    assert ScoreChange.objects.filter(contact=ana).order_by("pk").last().score_after == 10


def test_editing_and_deleting_a_fit_rule_adjusts_scores_with_explanations(marketer, committed):
    rule = svc.fit_rule_create(
        actor=marketer, field="contact.country", operator="equals", value="DE", points=15
    )
    ana = contact_create(actor=None, email="ana@acme.example", country="de")

    with committed():
        svc.fit_rule_update(
            actor=marketer,
            rule=rule,
            field="contact.country",
            operator="equals",
            value="DE",
            points=20,
        )
    ana.refresh_from_db()
    assert ana.fit_score == 20

    with committed():
        svc.fit_rule_delete(actor=marketer, rule=rule)
    ana.refresh_from_db()
    assert ana.fit_score == 0
    assert changes(ana) == [
        (15, "Country is 'DE' (+15)"),
        (5, "Country is 'DE' is now worth +20 (+5)"),
        (-20, "A removed fit rule no longer counts (-20)"),
    ]


def test_recomputing_twice_changes_nothing_the_second_time(marketer, committed):
    svc.fit_rule_create(
        actor=marketer, field="contact.title", operator="is_set", value="", points=5
    )
    contact_create(actor=None, email="ana@acme.example", title="CTO")

    assert svc.fit_scores_recompute_all() == 0
    assert ScoreChange.objects.count() == 1


def test_a_broken_fit_rule_does_not_stop_the_others(marketer, caplog):
    # Given a rule that slipped past validation (stored directly) before a good one
    FitRule.objects.create(field="contact.title", operator="matches", value="(", points=50)
    svc.fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=15
    )

    ana = contact_create(actor=None, email="ana@acme.example", title="VP Sales")

    assert ana.fit_score == 15
    assert changes(ana) == [(15, "Job title contains 'VP' (+15)")]
    assert "failed for contact" in caplog.text


# --- Engagement ---------------------------------------------------------------------------------------


def test_a_touch_with_a_contact_adds_points_and_explains_them(marketer):
    pricing_rule(marketer)
    ana = contact_create(actor=None, email="ana@acme.example")

    touch = view(ana, at=T0)

    ana.refresh_from_db()
    assert (ana.engagement_points, ana.engagement_at) == (15.0, T0)
    change = ScoreChange.objects.get(contact=ana)
    assert (change.kind, change.points, change.reason, change.touchpoint, change.occurred_at) == (
        "engagement",
        15,
        "+15 visited /pricing",
        touch,
        T0,
    )


def test_touches_that_no_rule_is_about_score_nothing(marketer):
    pricing_rule(marketer)
    ana = contact_create(actor=None, email="ana@acme.example")

    view(ana, url="https://www.acme.example/blog")
    view(ana, kind="cta_click")

    ana.refresh_from_db()
    assert (ana.engagement_points, ana.engagement_score) == (0.0, 0)
    assert ScoreChange.objects.count() == 0


def test_engagement_decays_with_the_half_life(marketer):
    settings = lead_settings_get()
    settings.engagement_half_life_days = 30
    settings.save()
    pricing_rule(marketer, max_per_period=None)
    ana = contact_create(actor=None, email="ana@acme.example")

    view(ana, at=T0)
    view(ana, at=T0 + timedelta(days=30))

    ana.refresh_from_db()
    assert (ana.engagement_points, ana.engagement_at) == (22.5, T0 + timedelta(days=30))
    # Thirty days after the last touch, the refresh halves the stored score.
    assert svc.engagement_decay_refresh(now=T0 + timedelta(days=60)) == 1
    ana.refresh_from_db()
    assert ana.engagement_score == 11  # 22.5 / 2 = 11.25
    assert svc.engagement_decay_refresh(now=T0 + timedelta(days=60)) == 0


def test_a_rule_scores_at_most_max_per_period(marketer):
    pricing_rule(marketer, max_per_period=2, period_days=7)
    settings = lead_settings_get()
    settings.engagement_half_life_days = None
    settings.save()
    ana = contact_create(actor=None, email="ana@acme.example")

    for hours in (0, 1, 2):
        view(ana, at=T0 + timedelta(hours=hours))
    view(ana, at=T0 + timedelta(days=7, hours=1))

    ana.refresh_from_db()
    assert ana.engagement_points == 45.0
    assert [c.occurred_at for c in ScoreChange.objects.order_by("occurred_at")] == [
        T0,
        T0 + timedelta(hours=1),
        T0 + timedelta(days=7, hours=1),
    ]


def test_the_limit_counts_per_contact(marketer):
    pricing_rule(marketer, max_per_period=1, period_days=1)
    ana = contact_create(actor=None, email="ana@acme.example")
    bob = contact_create(actor=None, email="bob@acme.example")

    view(ana)
    view(bob)
    view(ana)

    assert (len(changes(ana)), len(changes(bob))) == (1, 1)


def test_a_touch_is_scored_once(marketer):
    pricing_rule(marketer)
    ana = contact_create(actor=None, email="ana@acme.example")
    touch = view(ana)

    assert svc.touchpoints_score(touchpoint_ids=[touch.pk]) == 0
    assert ScoreChange.objects.count() == 1


def test_a_broken_engagement_rule_does_not_stop_the_others(marketer, caplog):
    EngagementRule.objects.create(
        name="Broken", touchpoint_kind="page_view", url_pattern="[", points=50
    )
    pricing_rule(marketer)
    ana = contact_create(actor=None, email="ana@acme.example")

    view(ana)

    ana.refresh_from_db()
    assert ana.engagement_points == 15.0
    assert "Engagement rule" in caplog.text


def test_a_rule_for_one_campaign_ignores_touches_of_others(marketer):
    from revline.campaigns.models import Campaign

    spring = Campaign.objects.create(name="Spring", channel="email")
    autumn = Campaign.objects.create(name="Autumn", channel="email")
    svc.engagement_rule_create(
        actor=marketer, name="Spring clicks", touchpoint_kind="email_click", campaign=spring,
        points=10,
    )  # fmt: skip
    ana = contact_create(actor=None, email="ana@acme.example")

    view(ana, kind="email_click", campaign=autumn)
    view(ana, kind="email_click", campaign=spring)

    assert changes(ana) == [(10, "+10 clicked a link in an email")]


def test_score_change_hooks_enrol_in_score_sequences(marketer):
    sequence = Sequence.objects.create(
        name="Hot leads",
        trigger=SequenceTrigger.SCORE_CROSSED,
        trigger_config={"score": 15},
        status=SequenceStatus.ACTIVE,
    )
    pricing_rule(marketer)
    ana = contact_create(actor=None, email="ana@acme.example")

    view(ana, at=datetime.now(UTC))

    assert Enrollment.objects.filter(sequence=sequence, contact=ana).count() == 1


# --- Identification -----------------------------------------------------------------------------------


def test_anonymous_touches_score_when_the_visitor_is_identified(marketer):
    pricing_rule(marketer)
    visitor = Visitor.objects.create(first_seen_at=T0, last_seen_at=T0)
    touchpoint_record(
        kind="page_view", visitor=visitor, info=RequestInfo(url=PRICING), occurred_at=T0
    )
    ana = contact_create(actor=None, email="ana@acme.example")
    assert ScoreChange.objects.count() == 0

    assert visitor_identify(visitor=visitor, contact=ana) == 1

    ana.refresh_from_db()
    assert ana.engagement_points == 15.0
    assert changes(ana) == [(15, "+15 visited /pricing")]


# --- Companies ------------------------------------------------------------------------------------------


def test_company_score_is_the_best_fit_plus_all_engagement(marketer, committed):
    svc.fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=15
    )
    svc.fit_rule_create(
        actor=marketer, field="contact.country", operator="equals", value="DE", points=5
    )
    pricing_rule(marketer)
    settings = lead_settings_get()
    settings.engagement_half_life_days = None
    settings.save()
    acme = company_create(actor=None, name="Acme")
    ana = contact_create(actor=None, email="ana@acme.example", title="VP", company=acme)
    bob = contact_create(actor=None, email="bob@acme.example", country="DE", company=acme)

    view(ana)
    view(bob)
    view(bob, url=PRICING + "?again")

    acme.refresh_from_db()
    assert acme.score == 15 + (15 + 30)

    contact_update(actor=marketer, contact=bob, company=None)
    acme.refresh_from_db()
    assert acme.score == 15 + 15


def test_rescore_all_replays_touches_in_time_order(marketer):
    ana = contact_create(actor=None, email="ana@acme.example", title="VP")
    for days in (0, 1, 2):
        view(ana, at=T0 + timedelta(days=days))
    FitRule.objects.create(field="contact.title", operator="equals", value="vp", points=15)
    EngagementRule.objects.create(
        name="Pricing", touchpoint_kind="page_view", url_pattern="/pricing", points=10,
        max_per_period=2, period_days=7,
    )  # fmt: skip
    settings = lead_settings_get()
    settings.engagement_half_life_days = None
    settings.save()

    assert svc.contacts_rescore_all(now=T0 + timedelta(days=3)) == 2

    ana.refresh_from_db()
    assert (ana.fit_score, ana.engagement_score, ana.engagement_points) == (15, 20, 20.0)
    assert Touchpoint.objects.count() == 3
    assert Company.objects.count() == 0
