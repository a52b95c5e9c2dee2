"""The funnel pages: who may see them, filters in the URL, bad input, CSV export."""

import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from revline.leads.models import LifecycleTransition, TransitionCause
from revline.people.models import Contact
from revline.segments.models import Segment
from revline.tracking.models import Touchpoint, Visitor

from ..conftest import PASSWORD

FUNNEL = reverse("analytics:funnel")
EVENTS = reverse("analytics:event_funnel")


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def history(db):
    person = Contact.objects.create(first_name="Ada", last_name="Test", country="DE")
    Contact.objects.filter(pk=person.pk).update(created_at=at(1, 5))
    LifecycleTransition.objects.create(
        contact=person,
        from_stage="subscriber",
        to_stage="lead",
        occurred_at=at(1, 10),
        cause=TransitionCause.RULE,
    )
    Touchpoint.objects.create(kind="click", occurred_at=at(1, 2), contact=person)
    Touchpoint.objects.create(
        kind="page_view", occurred_at=at(1, 3), contact=person, url="https://x.example/lp/pricing"
    )
    Touchpoint.objects.create(kind="form_submission", occurred_at=at(1, 4), contact=person)
    anonymous = Visitor.objects.create(
        id=uuid.uuid4(), first_seen_at=at(1, 1), last_seen_at=at(1, 1)
    )
    Touchpoint.objects.create(kind="click", occurred_at=at(1, 5), visitor=anonymous)
    Touchpoint.objects.create(
        kind="page_view",
        occurred_at=at(1, 6),
        visitor=anonymous,
        url="https://x.example/lp/pricing",
    )
    return person


def test_signed_out_people_are_sent_to_sign_in(client, db):
    for url in (FUNNEL, EVENTS):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]


@pytest.mark.parametrize("role", ["admin_user", "marketer", "rep_a", "manager_a"])
def test_everyone_signed_in_sees_the_funnels(client, request, history, role):
    signed_in(client, request.getfixturevalue(role))

    lifecycle = client.get(FUNNEL, {"first": "2025-01-01", "last": "2025-03-31"})
    events = client.get(EVENTS, {"first": "2025-01-01", "last": "2025-03-31"})

    assert lifecycle.status_code == 200
    assert [s.count for s in lifecycle.context["report"].steps] == [2, 1, 0, 0, 0, 0, 0]
    assert events.status_code == 200
    # The example funnel: both clicked and saw the landing page; one submitted the form
    assert [r.count for r in events.context["report"].rows] == [2, 2, 1]


def test_lifecycle_page_shows_chart_data_numbers_and_breakdown_tabs(client, marketer, history):
    signed_in(client, marketer)

    response = client.get(FUNNEL, {"first": "2025-01-01", "last": "2025-03-31", "by": "owner"})

    html = response.content.decode()
    assert response.context["chart"]["counts"] == [2, 1, 0, 0, 0, 0, 0]
    assert 'id="funnel-data"' in html
    assert 'id="stage-table"' in html
    assert [g.label for g in response.context["report"].groups] == ["No owner"]
    assert [t["key"] for t in response.context["tabs"]] == [
        "campaign",
        "channel",
        "owner",
        "segment",
    ]
    assert "by=segment" in response.context["tabs"][3]["query"]
    assert "first=2025-01-01" in response.context["tabs"][3]["query"]


def test_lifecycle_page_restricted_to_a_segment(client, marketer, history):
    germany = Segment.objects.create(
        name="Germany",
        definition={
            "match": "all",
            "conditions": [{"type": "field", "field": "country", "op": "eq", "value": "DE"}],
        },
    )
    signed_in(client, marketer)

    response = client.get(
        FUNNEL, {"first": "2025-01-01", "last": "2025-03-31", "segment": str(germany.pk)}
    )

    assert response.status_code == 200
    assert [s.count for s in response.context["report"].steps] == [1, 1, 0, 0, 0, 0, 0]
    assert "in segment “Germany”" in response.content.decode()


def test_lifecycle_bad_filters_are_field_errors_and_fall_back(client, marketer, history):
    broken = Segment.objects.create(name="Broken", definition={"match": "all", "conditions": [{}]})
    signed_in(client, marketer)

    response = client.get(
        FUNNEL,
        {"first": "2025-13-01", "interval": "week", "by": "stage", "segment": str(broken.pk)},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"first", "interval", "by", "segment"}
    assert form.errors["segment"] == [
        "This segment's conditions no longer work; fix the segment first."
    ]
    report = response.context["report"]
    assert (report.interval, report.breakdown, report.segment) == ("month", "campaign", None)


def test_lifecycle_unknown_segment_is_a_field_error(client, marketer, history):
    signed_in(client, marketer)

    response = client.get(FUNNEL, {"segment": "999999"})

    assert response.status_code == 400
    assert "segment" in response.context["form"].errors


def test_lifecycle_csv_exports(client, rep_a, history):
    signed_in(client, rep_a)
    period = {"first": "2025-01-01", "last": "2025-01-31"}

    stages = client.get(FUNNEL, {**period, "export": "stages"})
    cohorts = client.get(FUNNEL, {**period, "export": "cohorts"})
    groups = client.get(FUNNEL, {**period, "export": "groups", "by": "campaign"})

    assert stages["Content-Type"] == "text/csv; charset=utf-8"
    assert stages["Content-Disposition"] == 'attachment; filename="funnel-20250101-20250131.csv"'
    lines = b"".join(stages.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == [
        "Stage,Count,Conversion from previous (%),Conversion overall (%),"
        "Median days from previous,Contacts timed",
        "Visitor,2,,100.0,,0",
        "Lead,1,50.0,50.0,8.0,1",
        "MQL,0,0.0,0.0,,0",
        "SAL,0,,0.0,,0",
        "SQL,0,,0.0,,0",
        "Opportunity,0,,0.0,,0",
        "Customer,0,,0.0,,0",
    ]
    cohort_lines = b"".join(cohorts.streaming_content).decode("utf-8-sig").splitlines()
    assert cohort_lines[1] == "Jan 2025,2,1,0,0,0,0,0,0.0"
    group_lines = b"".join(groups.streaming_content).decode("utf-8-sig").splitlines()
    assert group_lines == [
        "First-touch campaign,Visitor,Lead,MQL,SAL,SQL,Opportunity,Customer,"
        "Visitor to customer (%)",
        "No campaign,2,1,0,0,0,0,0,0.0",
    ]


def test_event_funnel_steps_come_from_the_url(client, marketer, history):
    signed_in(client, marketer)

    response = client.get(
        EVENTS,
        {
            "first": "2025-01-01",
            "last": "2025-01-31",
            "days": "2",
            "kind1": "page_view",
            "match1": "contains",
            "url1": "/pricing",
            "kind2": "form_submission",
        },
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.window_days == 2
    assert [(r.label, r.count, r.dropped) for r in report.rows] == [
        ("Page view (URL contains “/pricing”)", 2, 0),
        ("Form submission", 1, 1),
    ]
    html = response.content.decode()
    assert 'value="/pricing"' in html
    assert 'id="event-funnel-data"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"kind1": "page_view"}, "__all__", "A funnel has 2 to 5 steps."),
        ({"kind1": "page_view", "kind3": "order"}, "kind2", "Step 2: choose a kind of touchpoint."),
        (
            {"kind1": "page_view", "match1": "regex", "url1": "(oops", "kind2": "order"},
            "url1",
            None,
        ),
        (
            {"kind1": "page_view", "url1": "/pricing", "kind2": "order"},
            "match1",
            "Step 1: choose how the URL should match.",
        ),
        ({"kind1": "teleport", "kind2": "order"}, "kind1", None),
        ({"kind1": "page_view", "kind2": "order", "days": "0"}, "days", None),
    ],
)
def test_event_funnel_bad_steps_are_form_errors(client, marketer, history, query, field, message):
    signed_in(client, marketer)

    response = client.get(EVENTS, query)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    if field != "days":
        assert response.context["report"] is None
        assert 'id="funnel-invalid"' in response.content.decode()


def test_event_funnel_with_bad_steps_exports_nothing(client, marketer, history):
    signed_in(client, marketer)

    response = client.get(EVENTS, {"kind1": "page_view", "export": "steps"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_event_funnel_csv_export(client, marketer, history):
    signed_in(client, marketer)

    response = client.get(
        EVENTS,
        {
            "first": "2025-01-01",
            "last": "2025-01-31",
            "kind1": "page_view",
            "match1": "contains",
            "url1": "=HYPERLINK(1)",
            "kind2": "form_submission",
            "export": "steps",
        },
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Step,Definition,People,Dropped,Conversion from previous (%),Conversion overall (%)"
    )
    assert lines[1:] == [
        "1,Page view (URL contains “=HYPERLINK(1)”),0,0,,",
        "2,Form submission,0,0,,",
    ]


def test_post_is_not_allowed(client, marketer, db):
    signed_in(client, marketer)

    assert client.post(FUNNEL).status_code == 405
    assert client.post(EVENTS).status_code == 405
