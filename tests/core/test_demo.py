"""The demo workspace: its size, its consistency with the services, determinism, and the CLI."""

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from contextlib import closing
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from revline.analytics.selectors import campaign_attribution
from revline.campaigns.models import AdSpend, Campaign, Creative, CtaAction, SpendSource
from revline.content.models import ContentItem, ContentStatus, FormSubmission, LandingPage
from revline.content.services import LeadForm, form_submit
from revline.core.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DemoRefused,
    database_is_empty,
    demo_build,
)
from revline.core.models import Role, Team, User, Workspace
from revline.email.models import Email, Enrollment, Send, Suppression
from revline.experiments.models import Exposure
from revline.leads.models import LifecycleTransition
from revline.people.models import (
    Company,
    ConsentRecord,
    Contact,
    LifecycleStage,
    Tag,
    TimelineEvent,
    TimelineEventKind,
)
from revline.people.services import contact_create
from revline.pr.models import Coverage, MediaContact, PressRelease, ReleaseStatus
from revline.quotes.models import Product
from revline.sales.models import (
    Activity,
    BookingAvailability,
    Deal,
    DealStageChange,
    DealStatus,
    Pipeline,
    StageKind,
)
from revline.sales.services import activity_log, deal_close_won, deal_create, deal_move_stage
from revline.segments.models import Segment
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink, Visitor
from revline.tracking.services import RequestInfo

TODAY = date(2025, 6, 1)
# Touches the last demo step adds on top of the planned marketing ones: the A/B tests' exposures
# and goals, and survey responses.
ADDED_KINDS = (
    TouchpointKind.EXPERIMENT_EXPOSURE,
    TouchpointKind.EXPERIMENT_CONVERSION,
    TouchpointKind.SURVEY_RESPONSE,
)
END = datetime.combine(TODAY, time.min, tzinfo=UTC)
SMALL = 0.05  # 100 contacts in 15 companies, 1,000 touchpoints, 15 deals


def _sorted(rows) -> list[str]:
    return sorted(repr(row) for row in rows)


def digest() -> str:
    """A fingerprint of the workspace's content, blind to ids, link tokens and password salts."""
    rows: list[object] = [
        _sorted(User.objects.values_list("username", "email", "role", "team__name", "date_joined")),
        _sorted(
            Campaign.objects.values_list(
                "name", "channel", "status", "start_date", "end_date", "budget", "utm_campaign"
            )
        ),
        # Booking and order addresses carry a signed creative id, which depends on id sequences.
        _sorted(
            (label, re.sub(r"/(book|buy)/[^/?#]+", r"/\1/<key>", destination), utm_content)
            for label, destination, utm_content in TrackedLink.objects.values_list(
                "label", "destination_url", "utm_content"
            )
        ),
        _sorted(
            Company.objects.values_list(
                "name",
                "domain",
                "industry",
                "size",
                "country",
                "phone",
                "owner__username",
                "created_at",
            )
        ),
        _sorted(
            Contact.objects.values_list(
                "email",
                "first_name",
                "last_name",
                "title",
                "phone",
                "company__name",
                "source",
                "lifecycle_stage",
                "lifecycle_changed_at",
                "owner__username",
                "created_at",
            )
        ),
        _sorted(
            Visitor.objects.values_list("id", "contact__email", "first_seen_at", "last_seen_at")
        ),
        _sorted(
            Touchpoint.objects.values_list(
                "kind",
                "occurred_at",
                "visitor_id",
                "contact__email",
                "campaign__name",
                "link__label",
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_content",
                "referrer",
                "user_agent",
            )
        ),
        _sorted(
            Deal.objects.values_list(
                "name",
                "pipeline__name",
                "stage__name",
                "contact__email",
                "amount",
                "status",
                "closed_at",
                "close_note",
                "expected_close_date",
                "owner__username",
                "created_at",
            )
        ),
        _sorted(
            DealStageChange.objects.values_list(
                "deal__name", "from_stage__name", "to_stage__name", "changed_at"
            )
        ),
        _sorted(
            LifecycleTransition.objects.values_list(
                "contact__email", "from_stage", "to_stage", "occurred_at", "cause", "reason"
            )
        ),
        _sorted(
            ConsentRecord.objects.values_list(
                "contact__email", "status", "recorded_at", "source", "ip_address"
            )
        ),
        _sorted(
            (email, kind, re.sub(r"Q-\d+", "Q-<n>", subject), occurred_at)
            for email, kind, subject, occurred_at in Activity.objects.values_list(
                "contact__email", "kind", "subject", "occurred_at"
            )
        ),
        _sorted(
            (
                e.contact.email,
                e.kind,
                e.occurred_at,
                e.source,
                # Quote numbers follow an id sequence, which PostgreSQL does not roll back.
                re.sub(
                    r"Q-\d+",
                    "Q-<n>",
                    json.dumps(
                        {k: v for k, v in e.params.items() if not k.endswith("_id")},
                        sort_keys=True,
                    ),
                ),
            )
            for e in TimelineEvent.objects.select_related("contact")
        ),
        _sorted(Tag.objects.annotate(n=Count("contacts")).values_list("name", "n")),
        _sorted(
            Campaign.objects.values_list(
                "name", "objective", "audience", "goal_leads", "goal_pipeline", "goal_revenue"
            )
        ),
        _sorted(
            AdSpend.objects.values_list(
                "campaign__name", "date", "source", "spend", "impressions", "clicks"
            )
        ),
        _sorted(
            Coverage.objects.values_list(
                "outlet", "title", "url", "published_on", "reach", "sentiment", "release__title"
            )
        ),
        _sorted(MediaContact.objects.values_list("name", "outlet", "email", "phone")),
        _sorted(
            ContentItem.objects.values_list(
                "title", "status", "url", "publish_date", "campaign__name", "created_at"
            )
        ),
        _sorted(Touchpoint.objects.values_list("occurred_at", "visitor_id", "content_item__title")),
        _sorted(Segment.objects.values_list("name", "description")),
        _sorted(
            Email.objects.values_list("name", "status", "subject", "started_at", "scheduled_at")
        ),
        _sorted(
            Send.objects.values_list(
                "email__name",
                "to_address",
                "state",
                "sent_at",
                "first_opened_at",
                "first_clicked_at",
                "open_count",
                "click_count",
                "unsubscribed_at",
            )
        ),
        _sorted(Suppression.objects.values_list("address", "reason", "source")),
        _sorted(
            Exposure.objects.values_list(
                "experiment__name",
                "variant__key",
                "contact__email",
                "visitor_id",
                "exposed_at",
                "converted_at",
                "pre_period_touches",
            )
        ),
        _sorted(
            Enrollment.objects.values_list(
                "sequence__name", "contact__email", "position", "state", "next_run_at"
            )
        ),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def small_demo(db):
    return demo_build(scale=SMALL, today=TODAY)


# ---- size and coverage ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_database_is_empty_until_someone_exists(admin_user):
    assert database_is_empty() is False
    User.objects.all().delete()
    assert database_is_empty() is True


def test_small_demo_has_every_kind_of_record(small_demo):
    assert (
        small_demo.companies,
        small_demo.contacts,
        small_demo.touchpoints,
        small_demo.deals,
    ) == (15, 100, 1000, 15)
    assert Company.objects.count() == 15
    assert Contact.objects.count() == 100
    assert Touchpoint.objects.exclude(kind__in=ADDED_KINDS).count() == 1000
    assert Deal.objects.count() == 15
    assert Deal.objects.filter(status=DealStatus.WON).count() == 4
    assert Deal.objects.filter(status=DealStatus.LOST).count() == 3
    assert Campaign.objects.count() == 10
    assert LandingPage.objects.exclude(campaign=None).count() == 4
    assert set(Pipeline.objects.values_list("name", flat=True)) == {"New business", "Renewals"}
    assert FormSubmission.objects.exists()
    assert Activity.objects.exists()


def test_every_demo_campaign_has_a_plan_with_goals(small_demo):
    campaigns = Campaign.objects.all()
    assert all(c.audience and c.objective for c in campaigns)
    search = Campaign.objects.get(utm_campaign="crm-switch")
    assert (search.objective, search.goal_leads, search.goal_mqls, search.goal_sqls) == (
        "pipeline",
        600,
        240,
        90,
    )
    assert (search.goal_pipeline, search.goal_revenue) == (Decimal("900000"), Decimal("250000"))
    assert Campaign.objects.filter(goal_leads=None).count() == 1  # the newsletter


def test_paid_campaigns_have_daily_spend_within_their_budget(small_demo):
    # Given the demo, then only paid campaigns have spend, one row a day up to yesterday
    paid = {"paid_search", "paid_social", "display"}
    assert set(AdSpend.objects.values_list("campaign__channel", flat=True)) == paid
    assert AdSpend.objects.count() == 831
    assert AdSpend.objects.filter(creative__isnull=False).exists() is False
    assert AdSpend.objects.filter(date__gte=TODAY).exists() is False
    sources = dict(AdSpend.objects.values_list("campaign__channel", "source").distinct())
    assert sources == {
        "paid_search": SpendSource.GOOGLE_ADS,
        "paid_social": SpendSource.LINKEDIN_ADS,
        "display": SpendSource.MANUAL,
    }
    for campaign in Campaign.objects.filter(channel__in=paid):
        rows = list(campaign.spend.all())
        total = sum(r.spend for r in rows)
        assert Decimal("0.6") * campaign.budget <= total <= Decimal("0.95") * campaign.budget
        assert min(r.date for r in rows) == campaign.start_date
        for row in rows:
            assert 0.005 <= row.clicks / row.impressions <= 0.04
            assert row.spend > 0


def test_demo_pr_has_contacts_releases_and_coverage(small_demo):
    assert MediaContact.objects.count() == 15
    assert all(m.email.endswith(".example") for m in MediaContact.objects.all())
    statuses = sorted(PressRelease.objects.values_list("status", flat=True))
    assert statuses == ["approved", "distributed", "distributed", "draft", "draft", "review"]
    launch = PressRelease.objects.get(status=ReleaseStatus.DISTRIBUTED, campaign__channel="pr")
    assert launch.recipients.count() == 8
    assert Coverage.objects.count() == 46  # 6 of them name competitors (battlecards step)
    assert Coverage.objects.filter(release=launch).count() == 9
    assert Coverage.objects.filter(release=launch).exclude(campaign=launch.campaign).count() == 0
    assert Coverage.objects.filter(published_on__gte=TODAY).exists() is False
    assert Coverage.objects.filter(competitors__isnull=False).exists()
    assert all(c.url.split("/")[2].endswith(".example") for c in Coverage.objects.all())


def test_demo_content_library_spans_past_and_future_and_gets_views(small_demo):
    assert ContentItem.objects.count() == 30
    assert ContentItem.objects.filter(status=ContentStatus.PUBLISHED).count() == 20
    assert not ContentItem.objects.filter(
        status=ContentStatus.PUBLISHED, publish_date__gt=TODAY
    ).exists()
    assert ContentItem.objects.filter(publish_date__gt=TODAY).count() == 9
    assert ContentItem.objects.filter(status=ContentStatus.IDEA, publish_date=None).count() == 1
    assert all(
        i.url.startswith("https://www.northbeam.example/")
        for i in ContentItem.objects.exclude(url="")
    )
    # Credited views are page views of the item's own campaign, after it was published
    credited = Touchpoint.objects.exclude(content_item=None).select_related("content_item")
    assert credited.exists()
    for touch in credited:
        assert touch.kind == TouchpointKind.PAGE_VIEW
        assert touch.campaign_id == touch.content_item.campaign_id
        assert touch.occurred_at.date() >= touch.content_item.publish_date


def test_paid_campaigns_have_a_creative_for_every_call_to_action(small_demo):
    assert Product.objects.count() == 10  # 4 behind calls to action, 6 in the quote catalogue
    assert BookingAvailability.objects.count() == 60  # 6 reps, 5 days, 2 windows
    for campaign in Campaign.objects.filter(channel__in=["paid_search", "paid_social", "display"]):
        creatives = {c.cta_action: c for c in campaign.creatives.all()}
        assert set(creatives) == {CtaAction.FORM, CtaAction.BOOK_MEETING, CtaAction.BUY_NOW}
        assert creatives[CtaAction.FORM].landing_page.is_published
        assert creatives[CtaAction.BOOK_MEETING].booking_user.availability.exists()
        assert creatives[CtaAction.BUY_NOW].product.is_active
        assert all(c.link.campaign_id == campaign.pk for c in creatives.values())
    assert Creative.objects.count() == 9
    workspace = Workspace.objects.get()
    assert (workspace.site_origins, workspace.tracking_requires_consent) == (
        "https://www.northbeam.example",
        False,
    )


def test_demo_users_cover_every_role_and_log_in_with_the_documented_password(small_demo):
    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles == {Role.ADMIN: 1, Role.MARKETER: 2, Role.SALES_MANAGER: 2, Role.SALES_REP: 4}
    assert set(Team.objects.values_list("name", flat=True)) == {"Enterprise", "Mid-market"}
    assert [u for u, _, _ in DEMO_LOGINS] == [
        "admin",
        "maya",
        "jonas",
        "omar",
        "sam",
        "tess",
        "priya",
        "lena",
        "diego",
    ]
    for username, password, _ in DEMO_LOGINS:
        assert password == DEMO_PASSWORD
        assert authenticate(username=username, password=password) is not None
    reps = User.objects.filter(role=Role.SALES_REP)
    assert reps.values("team").distinct().count() == 2
    assert User.objects.get(username="admin").is_superuser is True


def test_demo_uses_only_reserved_domains_and_documentation_addresses(small_demo):
    emails = list(Contact.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))
    assert all(e == e.lower() and e.endswith(".example") for e in emails)
    for contact in Contact.objects.select_related("company"):
        assert contact.email.endswith("@" + contact.company.domain)
    ips = FormSubmission.objects.values_list("ip_address", flat=True)
    assert all(ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.")) for ip in ips)


# ---- consistent with what the services write --------------------------------------------


def test_nothing_happens_after_the_demo_day(small_demo):
    assert not Touchpoint.objects.filter(occurred_at__gte=END).exists()
    assert not TimelineEvent.objects.filter(occurred_at__gte=END).exists()
    assert not Contact.objects.filter(created_at__gte=END).exists()
    assert not Deal.objects.filter(stage_changed_at__gte=END).exists()
    assert not Activity.objects.filter(occurred_at__gte=END, due_at__isnull=True).exists()
    assert not Deal.objects.filter(status=DealStatus.OPEN, expected_close_date__lt=TODAY).exists()


def test_lifecycle_history_explains_every_contacts_stage(small_demo):
    transitions = defaultdict(list)
    for t in LifecycleTransition.objects.order_by("occurred_at", "pk"):
        transitions[t.contact_id].append(t)
    events = Counter(
        TimelineEvent.objects.filter(kind=TimelineEventKind.LIFECYCLE_CHANGED).values_list(
            "contact_id", flat=True
        )
    )
    for contact in Contact.objects.all():
        history = transitions[contact.pk]
        stage = LifecycleStage.SUBSCRIBER
        for t in history:
            assert t.from_stage == stage
            stage = t.to_stage
        assert contact.lifecycle_stage == stage
        assert contact.lifecycle_changed_at == (history[-1].occurred_at if history else None)
        assert events[contact.pk] == len(history)
        created = TimelineEvent.objects.get(contact=contact, kind=TimelineEventKind.CONTACT_CREATED)
        assert created.occurred_at == contact.created_at
        assert created.source == contact.source
        assert all(t.occurred_at >= contact.created_at for t in history)


def test_deal_history_explains_every_deals_stage(small_demo):
    for deal in Deal.objects.select_related("stage", "contact"):
        changes = list(deal.stage_changes.order_by("changed_at", "pk"))
        assert changes[0].from_stage_id is None
        assert changes[0].changed_at == deal.created_at
        for before, after in pairwise(changes):
            assert after.from_stage_id == before.to_stage_id
        assert changes[-1].to_stage_id == deal.stage_id
        assert deal.stage_changed_at == changes[-1].changed_at
        kinds = Counter(deal.events.values_list("kind", flat=True))
        assert kinds[TimelineEventKind.DEAL_CREATED] == 1
        assert kinds[TimelineEventKind.DEAL_STAGE_CHANGED] == len(changes) - 1
        if deal.status == DealStatus.OPEN:
            assert deal.stage.kind == StageKind.OPEN
            assert deal.closed_at is None and deal.close_note == ""
        else:
            assert deal.stage.kind == deal.status
            assert deal.closed_at == deal.stage_changed_at
            assert deal.close_note
            closed_kind = (
                TimelineEventKind.DEAL_WON
                if deal.status == DealStatus.WON
                else TimelineEventKind.DEAL_LOST
            )
            assert kinds[closed_kind] == 1
        if deal.status == DealStatus.WON:
            assert deal.contact.lifecycle_stage == LifecycleStage.CUSTOMER
        assert deal.company_id == deal.contact.company_id


def test_touchpoints_follow_the_tracking_rules(small_demo):
    planned = Touchpoint.objects.exclude(kind__in=ADDED_KINDS)
    for tp in planned.select_related("campaign", "visitor", "link"):
        assert tp.channel == tp.campaign.channel
        # untagged visits to a landing page are credited to the page's campaign
        assert tp.utm_campaign in (tp.campaign.utm_campaign, "")
        if tp.visitor is not None:
            # identified visitors carry their contact on every touch, before and after the form
            assert tp.contact_id == tp.visitor.contact_id
            assert tp.visitor.first_seen_at <= tp.occurred_at <= tp.visitor.last_seen_at
        if tp.kind == TouchpointKind.CLICK:
            assert tp.link.campaign_id == tp.campaign_id
            assert tp.url.endswith(f"/t/c/{tp.link.token}")
        if tp.kind == TouchpointKind.FORM_SUBMISSION:
            assert tp.contact.form_submissions.filter(submitted_at=tp.occurred_at).exists()
    # Every activity done on a contact is on its timeline; planned ones once they are done.
    activity_ids = set(
        Activity.objects.filter(contact__isnull=False)
        .filter(Q(due_at__isnull=True) | Q(completed_at__isnull=False))
        .values_list("pk", flat=True)
    )
    logged = TimelineEvent.objects.filter(kind=TimelineEventKind.ACTIVITY)
    assert {e.params["activity_id"] for e in logged if "activity_id" in e.params} == activity_ids


def test_consent_records_match_timeline_and_form_choices(small_demo):
    assert (
        ConsentRecord.objects.count()
        == TimelineEvent.objects.filter(kind=TimelineEventKind.CONSENT_CHANGED).count()
    )
    for submission in FormSubmission.objects.all():
        granted = ConsentRecord.objects.filter(
            contact=submission.contact, recorded_at=submission.submitted_at, status="granted"
        ).exists()
        assert granted == submission.data["consent"]


def _param_keys(kind: str) -> set[frozenset[str]]:
    return {frozenset(e.params) for e in TimelineEvent.objects.filter(kind=kind)}


def test_demo_rows_have_the_shape_the_services_give_them(small_demo):
    # Given the demo's timeline event parameters, by kind
    demo_shapes = {kind: _param_keys(kind) for kind in TimelineEventKind.values}
    demo_touch = Touchpoint.objects.filter(kind=TouchpointKind.FORM_SUBMISSION).first()
    TimelineEvent.objects.all().delete()
    # When the real services write one story of each kind
    rep = User.objects.get(username="sam")
    page = LandingPage.objects.get(slug="book-a-demo")
    contact, _ = form_submit(
        page=page,
        form=LeadForm(email="ref@shape.example", first_name="Ref", consent=True),
        visitor_id=None,
        ip_address="192.0.2.1",
        utm={},
        info=RequestInfo(url="https://x.example/lp"),
    )
    contact_create(actor=rep, email="manual@shape.example")
    deal = deal_create(actor=rep, name="Shape", amount=Decimal("100.00"), contact=contact)
    deal_move_stage(actor=rep, deal=deal, stage=deal.pipeline.stages.get(position=1))
    activity_log(actor=rep, kind="call", subject="Call", deal=deal)
    deal_close_won(actor=rep, deal=deal, note="Fit")
    # Then each kind has the same parameters in the demo as from the services
    for kind in (
        TimelineEventKind.CONTACT_CREATED,
        TimelineEventKind.LIFECYCLE_CHANGED,
        TimelineEventKind.CONSENT_CHANGED,
        TimelineEventKind.DEAL_CREATED,
        TimelineEventKind.DEAL_STAGE_CHANGED,
        TimelineEventKind.DEAL_WON,
        TimelineEventKind.ACTIVITY,
    ):
        # Opens of content sent from a deal are activities too; no service call above makes one.
        shapes = {shape for shape in demo_shapes[kind] if "content_share_id" not in shape}
        assert shapes == _param_keys(kind), kind
    service_touch = Touchpoint.objects.get(contact=contact, kind=TouchpointKind.FORM_SUBMISSION)
    assert demo_touch.params.keys() == service_touch.params.keys()
    assert (
        demo_touch.contact.form_submissions.first().data.keys()
        == contact.form_submissions.get().data.keys()
    )


def test_full_size_demo_matches_the_promise(db):
    # Given an empty database, when the full demo is built
    summary = demo_build(today=TODAY)
    # Then it has the promised size and mix
    from revline.leads.models import Handoff, HandoffStatus, ModelStatus, PredictiveModel

    from_handoffs = Handoff.objects.filter(deal__isnull=False).count()
    assert from_handoffs > 0
    assert (summary.companies, summary.contacts, summary.touchpoints, summary.deals) == (
        300,
        2000,
        20000,
        300 + from_handoffs,
    )
    assert Contact.objects.count() == 2000
    assert Company.objects.count() == 300
    assert Touchpoint.objects.exclude(kind__in=ADDED_KINDS).count() == 20000
    assert Deal.objects.count() == 300 + from_handoffs
    # And the hand-off is filled: every decision, scores, and a trained model
    statuses = set(Handoff.objects.values_list("status", flat=True))
    assert statuses == {HandoffStatus.OPEN, HandoffStatus.ACCEPTED, HandoffStatus.REJECTED}
    assert Handoff.objects.filter(breached_at__isnull=False).exists()
    assert Contact.objects.filter(engagement_score__gt=0).count() > 500
    assert PredictiveModel.objects.filter(status=ModelStatus.READY).count() == 1
    assert Contact.objects.exclude(predicted_tier="").count() > 1000
    assert Deal.objects.filter(status=DealStatus.WON).count() == 75
    assert Deal.objects.filter(status=DealStatus.LOST).count() == 60
    assert Deal.objects.filter(status=DealStatus.OPEN).values("stage").distinct().count() == 6
    assert Campaign.objects.count() >= 5
    channels = set(Touchpoint.objects.values_list("campaign__channel", flat=True))
    assert len(channels) >= 5
    stages = set(Contact.objects.values_list("lifecycle_stage", flat=True))
    assert {"subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer"} <= stages
    assert Visitor.objects.filter(contact=None).count() > 1000
    # And the attribution report credits campaigns differently under each model
    report = campaign_attribution()
    assert report.won_deals == 75
    assert len(report.rows) >= 5
    credited = [row for row in report.rows if len(set(row.revenue.values())) == 3]
    assert len(credited) >= 3


# ---- determinism --------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_builds_on_empty_databases_are_identical():
    # Given an empty database whose contact ids no longer start at 1 (PostgreSQL never rolls
    # sequences back; a wipe resets them): the demo must not depend on ids
    Contact.objects.create(email="gone@example.com").delete()
    assert database_is_empty()
    demo_build(scale=SMALL, today=TODAY)
    assert Contact.objects.order_by("pk").first().pk > 1
    first = digest()
    tokens = set(TrackedLink.objects.values_list("token", flat=True))
    demo_build(scale=SMALL, today=TODAY, wipe=True)
    assert digest() == first
    assert tokens.isdisjoint(TrackedLink.objects.values_list("token", flat=True))
    demo_build(scale=SMALL, today=TODAY, wipe=True, seed=7)
    assert digest() != first


@pytest.mark.django_db
def test_another_day_tells_the_same_story_shifted_in_time():
    demo_build(scale=SMALL, today=TODAY)
    first = sorted(Deal.objects.values_list("name", "amount", "status", "created_at"))
    demo_build(scale=SMALL, today=date(2025, 6, 11), wipe=True)
    second = sorted(Deal.objects.values_list("name", "amount", "status", "created_at"))
    assert [(n, a, s) for n, a, s, _ in first] == [(n, a, s) for n, a, s, _ in second]
    assert {(b - a).days for (*_, a), (*_, b) in zip(first, second, strict=True)} == {10}


# ---- refusing, forcing, and the command line ----------------------------------------------


@pytest.mark.django_db
def test_build_refuses_a_database_that_holds_data(admin_user):
    with pytest.raises(DemoRefused):
        demo_build(scale=SMALL, today=TODAY)
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert not Campaign.objects.exists()
    assert not Pipeline.objects.exists()


@pytest.mark.django_db
def test_command_refuses_a_non_empty_database_with_a_clear_message(admin_user):
    contact_create(actor=admin_user, email="keep@me.example")
    with pytest.raises(CommandError) as error:
        call_command("demo", "--scale", str(SMALL), stdout=io.StringIO())
    assert error.value.returncode == 1  # what `revline demo` exits with
    assert "already holds data" in str(error.value)
    assert "--force" in str(error.value)
    assert list(Contact.objects.values_list("email", flat=True)) == ["keep@me.example"]
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_command_rejects_a_scale_out_of_range():
    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", "--scale", "3", stdout=io.StringIO())
    assert database_is_empty()


@pytest.mark.django_db
def test_command_force_replaces_everything_with_the_demo_and_shows_progress(admin_user):
    contact_create(actor=admin_user, email="old@me.example")
    old_admin_password = admin_user.password
    out = io.StringIO()
    call_command("demo", "--force", "--scale", str(SMALL), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/13] users and teams: 9 users, 2 teams"
    assert "[5/13] touchpoints 1,000/1,000" in lines
    assert "[8/13] timeline" in lines
    assert "[9/13] marketing plans, ad spend, PR, content library and calls to action" in lines
    assert "[10/13] segments, email templates, newsletters sent, a nurture sequence" in lines
    assert (
        "[11/13] sales workbench: buying committees, tasks and playbooks, objections, quotes, quotas"
        in lines
    )
    assert "      831 spend days, 15 media contacts, 30 content items, 9 creatives" in lines
    assert "  admin    revline-demo   Admin" in lines
    assert not Contact.objects.filter(email="old@me.example").exists()
    assert Contact.objects.count() == 100
    assert User.objects.count() == 9
    assert User.objects.get(username="admin").password != old_admin_password


def _sqlite_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("core_user", "people_contact", "campaigns_campaign", "sales_deal")
        }


def test_revline_demo_exits_non_zero_on_a_non_empty_database_and_force_loads_it(tmp_path):
    # Given a migrated SQLite database of its own, with one user in it
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(REVLINE_DATA_DIR=str(tmp_path), DJANGO_SUPERUSER_PASSWORD="a-long-password-1")

    def revline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "revline.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert revline("migrate", "-v0").returncode == 0
    created = revline(
        "createsuperuser", "--noinput", "--username", "owner", "--email", "o@x.example"
    )
    assert created.returncode == 0
    before = _sqlite_counts(tmp_path / "revline.sqlite3")
    # When the demo is asked for without --force
    refused = revline("demo", "--scale", "0.02")
    # Then it exits non-zero, says why and how to proceed, and changes nothing
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr
    assert "revline demo --force" in refused.stderr
    assert (
        _sqlite_counts(tmp_path / "revline.sqlite3")
        == before
        == {"core_user": 1, "people_contact": 0, "campaigns_campaign": 0, "sales_deal": 0}
    )
    # And with --force it replaces the data with the demo, showing progress as it goes
    forced = revline("demo", "--force", "--scale", "0.02")
    assert forced.returncode == 0, forced.stderr
    assert "[5/13] touchpoints 400/400" in forced.stdout.splitlines()
    assert _sqlite_counts(tmp_path / "revline.sqlite3") == {
        "core_user": 9,
        "people_contact": 40,
        "campaigns_campaign": 10,
        "sales_deal": 8,
    }


@pytest.mark.django_db
def test_progress_is_silent_unless_asked(capsys):
    demo_build(scale=SMALL, today=TODAY)
    assert capsys.readouterr().out == ""


def test_visitor_ids_are_valid_random_uuids(small_demo):
    ids = list(Visitor.objects.values_list("id", flat=True))
    assert len(ids) == len(set(ids))
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)


def test_demo_email_reports_agree_with_the_touchpoints(small_demo):
    from revline.email.models import (
        DeliveryEvent,
        EmailStatus,
        OutboxMessage,
        SendClick,
        SendState,
        Sequence,
    )
    from revline.email.selectors import suppressed_addresses
    from revline.tracking.models import TouchpointKind

    sent = Email.objects.filter(status=EmailStatus.SENT).order_by("started_at")
    assert sent.count() == 3
    assert Email.objects.filter(status=EmailStatus.SCHEDULED, scheduled_at__gt=END).count() == 1
    for email in sent:
        window = (email.started_at, email.started_at + timedelta(days=30))
        for send in Send.objects.filter(email=email).select_related("contact"):
            opens = Touchpoint.objects.filter(
                contact=send.contact, kind=TouchpointKind.EMAIL_OPEN,
                campaign=email.campaign, occurred_at__range=window,
            )  # fmt: skip
            # Opened exactly when the history holds an open of that newsletter in the month
            assert send.open_count == opens.count()
            assert (send.first_opened_at is not None) == opens.exists()
            assert send.sent_at is not None and send.sent_at < END
        assert SendClick.objects.filter(send__email=email).count() == sum(
            Send.objects.filter(email=email).values_list("click_count", flat=True)
        )
    # Bounces and unsubscribes are on the suppression list, each bounce with its report
    bounced = Send.objects.filter(state=SendState.BOUNCED)
    assert DeliveryEvent.objects.filter(send__in=bounced).count() == bounced.count()
    gone = Send.objects.filter(state=SendState.BOUNCED) | Send.objects.filter(
        unsubscribed_at__isnull=False
    )
    assert suppressed_addresses(gone.values_list("to_address", flat=True)) == set(
        gone.values_list("to_address", flat=True)
    )
    # A running sequence with contacts waiting at its steps, and messages to read in the outbox
    nurture = Sequence.objects.get()
    assert nurture.steps.count() == 6
    assert Enrollment.objects.filter(sequence=nurture, state="active").exists()
    assert OutboxMessage.objects.count() == min(12, Send.objects.filter(email=sent.last()).count())
    assert not Enrollment.objects.filter(entered_at__gte=END).exists()
