"""The weekly digest: subscriptions, its numbers as each reader may see them, and delivery through a
real SMTP server (aiosmtpd), once a week and never twice."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.analytics import digest
from revline.analytics.models import DigestSubscription
from revline.campaigns.models import Campaign, Channel
from revline.leads.models import Handoff, HandoffStatus
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record
from tests.smtp import SmtpSink, smtp_sink, use_smtp_sink

from ..conftest import PASSWORD

# Monday Apr 14, 2025, 08:00 UTC (the test workspace's time zone): the week is Apr 7-13.
MONDAY = datetime(2025, 4, 14, 8, tzinfo=UTC)
HOSTILE = "Spring <b>sale</b>"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 4, day, hour, tzinfo=UTC)


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        yield sink


@pytest.fixture
def week(rep_a, rep_b):
    """In the week of Apr 7-13:
    - Ann submitted a form of the Spring campaign on Apr 8; her €10,000 deal (rep A, created
      Apr 8) was won on Apr 9;
    - rep A opened a €3,000 deal on Apr 10; rep B won €4,000 on Apr 11 (created Apr 1);
    - an old deal of rep A (created Mar 3) was won on Apr 2, before the week;
    - rep A has a hand-off overdue since Apr 12 and one due next week; rep B one overdue."""
    spring = Campaign.objects.create(name=HOSTILE, channel=Channel.EMAIL)
    ann = contact_create(actor=None, first_name="Ann", email="ann@example.com")
    bea = contact_create(actor=None, first_name="Bea", email="bea@example.com")
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION, visitor=None, contact=ann, campaign=spring,
        occurred_at=at(8, 9),
    )  # fmt: skip
    won = deal_create(
        actor=None, name="Ann deal", amount=Decimal("10000"), contact=ann, owner=rep_a,
        created_at=at(8),
    )  # fmt: skip
    deal_close_won(actor=None, deal=won, note="Fit", at=at(9))
    deal_create(actor=None, name="New A", amount=Decimal("3000"), owner=rep_a, created_at=at(10))
    other = deal_create(
        actor=None, name="B deal", amount=Decimal("4000"), owner=rep_b, created_at=at(1)
    )
    deal_close_won(actor=None, deal=other, note="Fit", at=at(11))
    old = deal_create(
        actor=None, name="Old", amount=Decimal("999"), owner=rep_a,
        created_at=datetime(2025, 3, 3, tzinfo=UTC),
    )  # fmt: skip
    deal_close_won(actor=None, deal=old, note="Fit", at=at(2))
    for who, contact, due in ((rep_a, bea, at(12)), (rep_a, ann, at(20)), (rep_b, bea, at(12))):
        Handoff.objects.create(
            contact=contact,
            status=HandoffStatus.OPEN,
            qualified_at=due - timedelta(hours=4),
            qualified_by="rule",
            qualification_reason="Score",
            assigned_to=who,
            due_at=due,
        )
    return spring


# ---------------------------------------------------------------- subscriptions


def test_a_user_subscribes_themselves_and_changes_the_day(rep_a):
    sub = digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=2)
    again = digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=4)

    assert again.pk == sub.pk
    assert (again.weekday, again.is_active) == (4, True)
    assert DigestSubscription.objects.count() == 1


def test_only_admins_subscribe_others(rep_a, rep_b, admin_user):
    with pytest.raises(PermissionDenied):
        digest.digest_subscribe(actor=rep_a, user=rep_b)
    assert not DigestSubscription.objects.exists()

    digest.digest_subscribe(actor=admin_user, user=rep_b, weekday=1)
    with pytest.raises(PermissionDenied):
        digest.digest_unsubscribe(actor=rep_a, user=rep_b)
    assert DigestSubscription.objects.get(user=rep_b).is_active is True

    assert digest.digest_unsubscribe(actor=admin_user, user=rep_b) is True
    assert DigestSubscription.objects.get(user=rep_b).is_active is False


def test_bad_subscriptions_are_refused(rep_a, admin_user):
    with pytest.raises(ValidationError):
        digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=7)
    rep_a.email = ""
    rep_a.save()
    with pytest.raises(ValidationError, match="no email address"):
        digest.digest_subscribe(actor=admin_user, user=rep_a)
    assert not DigestSubscription.objects.exists()


# ---------------------------------------------------------------- content


def test_a_rep_gets_their_teams_numbers_and_their_own_overdue_handoffs(week, rep_a):
    d = digest.digest_build(user=rep_a, now=MONDAY)

    assert (d.first, d.last) == (date(2025, 4, 7), date(2025, 4, 13))
    assert (d.won_revenue, d.won_deals) == (Decimal("10000.00"), 1)
    assert (d.new_pipeline, d.new_deals) == (Decimal("13000.00"), 2)
    assert (d.new_leads, d.new_mqls) == (1, 1)  # Ann's deal made her an opportunity
    assert [(c.name, c.revenue) for c in d.top_campaigns] == [(HOSTILE, Decimal("10000.00"))]
    assert d.is_sales and d.team_only
    assert d.overdue_handoffs == 1
    assert [h.contact for h in d.handoffs] == ["Bea"]


def test_an_admin_gets_the_whole_company_and_no_handoff_section(week, admin_user):
    d = digest.digest_build(user=admin_user, now=MONDAY)

    assert (d.won_revenue, d.won_deals) == (Decimal("14000.00"), 2)
    assert (d.is_sales, d.team_only, d.handoffs) == (False, False, [])


def test_the_html_escapes_names(week, admin_user):
    _, text, html = digest.digest_render(digest.digest_build(user=admin_user, now=MONDAY))

    assert "Spring &lt;b&gt;sale&lt;/b&gt;: €10,000" in html
    assert "<b>sale</b>" not in html
    assert "1. Spring <b>sale</b>: €10,000" in text  # plain text is not HTML


# ---------------------------------------------------------------- sending


def test_the_digest_arrives_once_with_the_right_numbers_and_not_twice(week, rep_a, smtp, settings):
    # Given rep A subscribed for Mondays
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=0)

    # When the job runs on Monday morning, and again an hour and a day later
    assert digest.digests_send_due(now=MONDAY) == 1
    assert digest.digests_send_due(now=MONDAY + timedelta(hours=1)) == 0
    assert digest.digests_send_due(now=MONDAY + timedelta(days=1)) == 0

    # Then one message arrived, with rep A's numbers and a link to the dashboard
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["rep_a@example.com"]
    assert mail.message["Subject"] == "Your week in Revline: Apr 7 – Apr 13"
    assert mail.message["From"] == "Revline <noreply@revline.local>"
    text = mail.text
    assert "Won revenue:   €10,000 (1 deal)" in text
    assert "New pipeline:  €13,000 (2 deals)" in text
    assert "New leads:     1" in text
    assert "New MQLs:      1" in text
    assert "1. Spring <b>sale</b>: €10,000" in text
    assert "Overdue hand-offs waiting for you: 1" in text
    handoff = Handoff.objects.get(assigned_to=rep_a, due_at=at(12))
    assert f"  - Bea, due Apr 12 10:00: {settings.BASE_URL}/leads/handoffs/{handoff.pk}/" in text
    assert f"The full picture: {settings.BASE_URL}/reports/executive/" in text
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "/reports/executive/" in html and "€10,000" in html
    assert DigestSubscription.objects.get(user=rep_a).last_sent_at == MONDAY

    # And the next Monday brings the next one
    assert digest.digests_send_due(now=MONDAY + timedelta(days=7)) == 1
    assert len(smtp.messages) == 2


def test_nothing_is_sent_before_the_hour_or_on_another_day(week, rep_a, smtp):
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=0)

    assert digest.digests_send_due(now=MONDAY.replace(hour=digest.SEND_HOUR - 1)) == 0
    assert digest.digests_send_due(now=MONDAY + timedelta(days=2)) == 0
    assert smtp.messages == []
    assert DigestSubscription.objects.get(user=rep_a).last_sent_at is None


def test_changing_the_day_after_a_send_does_not_send_twice_that_week(week, rep_a, smtp):
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=0)
    digest.digests_send_due(now=MONDAY)
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=2)

    assert digest.digests_send_due(now=MONDAY + timedelta(days=2)) == 0
    assert digest.digests_send_due(now=MONDAY + timedelta(days=9)) == 1
    assert len(smtp.messages) == 2


def test_unsubscribed_and_inactive_users_get_nothing(week, rep_a, rep_b, smtp):
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=0)
    digest.digest_subscribe(actor=rep_b, user=rep_b, weekday=0)
    digest.digest_unsubscribe(actor=rep_a, user=rep_a)
    rep_b.is_active = False
    rep_b.save()

    assert digest.digests_send_due(now=MONDAY) == 0
    assert smtp.messages == []


def test_a_failed_send_is_not_marked_and_is_retried(week, rep_a, settings):
    digest.digest_subscribe(actor=rep_a, user=rep_a, weekday=0)
    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        port = sink.port
    settings.EMAIL_PORT = port  # the server is gone: the connection is refused

    assert digest.digests_send_due(now=MONDAY) == 0
    assert DigestSubscription.objects.get(user=rep_a).last_sent_at is None

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        assert digest.digests_send_due(now=MONDAY + timedelta(minutes=15)) == 1
        assert len(sink.messages) == 1


# ---------------------------------------------------------------- the page


def test_a_user_subscribes_on_the_page(client, rep_a):
    client.login(username="rep_a", password=PASSWORD)

    page = client.get("/reports/digest/")
    response = client.post("/reports/digest/", {"action": "subscribe", "weekday": "3"})

    assert page.status_code == 200
    assert 'id="subscriptions"' not in page.content.decode()  # the admin list is for admins
    assert response.status_code == 302
    assert DigestSubscription.objects.get(user=rep_a).weekday == 3
    client.post("/reports/digest/", {"action": "unsubscribe", "weekday": "3"})
    assert DigestSubscription.objects.get(user=rep_a).is_active is False


def test_bad_input_on_the_page_changes_nothing(client, rep_a, rep_b):
    client.login(username="rep_a", password=PASSWORD)

    bad_day = client.post("/reports/digest/", {"action": "subscribe", "weekday": "9"})
    other = client.post("/reports/digest/subscribe/", {"user": rep_b.pk, "weekday": "0"})
    other_off = client.post(f"/reports/digest/{rep_b.pk}/unsubscribe/")

    assert bad_day.status_code == 400
    assert (other.status_code, other_off.status_code) == (403, 403)
    assert not DigestSubscription.objects.exists()


def test_an_admin_subscribes_and_unsubscribes_chosen_users(client, admin_user, rep_b):
    client.login(username="admin", password=PASSWORD)

    response = client.post("/reports/digest/subscribe/", {"user": rep_b.pk, "weekday": "4"})
    listing = client.get("/reports/digest/?q=rep_b").content.decode()

    assert response.status_code == 302
    assert DigestSubscription.objects.get(user=rep_b).weekday == 4
    assert f'data-user="{rep_b.pk}"' in listing and "Friday" in listing
    client.post(f"/reports/digest/{rep_b.pk}/unsubscribe/")
    assert DigestSubscription.objects.get(user=rep_b).is_active is False


def test_get_never_subscribes(client, rep_a):
    client.login(username="rep_a", password=PASSWORD)

    client.get("/reports/digest/?action=subscribe&weekday=1")
    response = client.get("/reports/digest/subscribe/")

    assert response.status_code == 405
    assert not DigestSubscription.objects.exists()
