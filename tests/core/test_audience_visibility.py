"""Whole-audience marketing numbers (core.audience): shown only to readers who see every
contact; a sales rep or manager narrowed by the contact setting gets a 403 saying why."""

from decimal import Decimal

import pytest

from revline.analytics import digest
from revline.core.audience import sees_whole_audience
from tests.analytics.test_digest import MONDAY, week  # noqa: F401 (fixture)

from .test_visibility import set_visibility

# (page, a label only the report itself shows)
GUARDED_PAGES = [
    ("/reports/marketing/", "Marketing"),
    ("/reports/roi/", "ROI"),
    ("/reports/customer-value/", "ustomer"),
    ("/reports/funnel/", "unnel"),
    ("/reports/funnel/events/", "unnel"),
    ("/reports/executive/", "xecutive"),
    ("/leads/reports/lead-quality/", "ead quality"),
    ("/leads/reports/conversion/", "onversion"),
]
REFUSAL_OWN = (
    "These reports count every contact of the workspace; your workspace shows you only your own "
    "contacts. Ask a marketer or an admin."
)
# Links of the navigation that lead to the guarded pages.
NAV_LINKS = [
    'href="/reports/executive/"',
    'href="/reports/marketing/"',
    'href="/reports/roi/"',
    'href="/reports/funnel/"',
    'href="/reports/customer-value/"',
    'href="/leads/reports/lead-quality/"',
    'href="/leads/reports/conversion/"',
]


@pytest.mark.django_db
def test_who_sees_the_whole_audience(admin_user, marketer, rep_a, manager_a):
    set_visibility(contact="all")
    assert [sees_whole_audience(u) for u in (admin_user, marketer, rep_a, manager_a)] == [
        True,
        True,
        True,
        True,
    ]
    set_visibility(contact="team")
    assert [sees_whole_audience(u) for u in (admin_user, marketer, rep_a, manager_a)] == [
        True,
        True,
        False,
        False,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "label"), GUARDED_PAGES)
def test_a_narrowed_rep_is_refused_with_the_reason(client, rep_a, url, label):
    set_visibility(contact="own")
    client.force_login(rep_a)

    response = client.get(url)

    assert response.status_code == 403
    body = response.content.decode()
    assert REFUSAL_OWN in body
    assert 'id="audience-refused"' in body
    assert "chart-box" not in body and "<table" not in body  # no figure of the report


@pytest.mark.django_db
def test_a_manager_under_team_visibility_reads_your_teams(client, manager_a):
    set_visibility(contact="team")
    client.force_login(manager_a)

    response = client.get("/reports/marketing/")

    assert response.status_code == 403
    assert "shows you only your team&#x27;s contacts" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "label"), GUARDED_PAGES)
def test_a_rep_who_sees_all_contacts_and_a_marketer_get_the_report(
    client, rep_a, marketer, url, label
):
    set_visibility(contact="all")
    client.force_login(rep_a)
    response = client.get(url)
    assert response.status_code == 200
    assert label in response.content.decode()

    set_visibility(contact="own")  # marketers always see the whole audience
    client.force_login(marketer)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert label in body and 'id="audience-refused"' not in body


@pytest.mark.django_db
def test_the_navigation_hides_links_that_would_be_refused(client, rep_a, marketer):
    set_visibility(contact="own")
    client.force_login(rep_a)
    home = client.get("/").content.decode()
    assert [link for link in NAV_LINKS if link in home] == []
    assert 'href="/reports/attribution/"' in home  # deal figures: still offered

    client.force_login(marketer)
    home = client.get("/").content.decode()
    assert [link for link in NAV_LINKS if link in home] == NAV_LINKS


@pytest.mark.django_db
def test_the_campaign_list_offers_the_marketing_dashboard_only_to_whole_audience_readers(
    client, rep_a, marketer
):
    set_visibility(contact="own")
    client.force_login(rep_a)
    assert 'href="/reports/marketing/"' not in client.get("/campaigns/").content.decode()
    client.force_login(marketer)
    assert 'href="/reports/marketing/"' in client.get("/campaigns/").content.decode()


@pytest.mark.django_db
def test_the_digest_leaves_out_leads_and_mqls_for_a_narrowed_rep(week, rep_a):  # noqa: F811
    d = digest.digest_build(user=rep_a, now=MONDAY)
    assert (d.new_leads, d.new_mqls) == (1, 1)

    set_visibility(contact="own")
    d = digest.digest_build(user=rep_a, now=MONDAY)

    assert (d.new_leads, d.new_mqls) == (None, None)
    assert (d.won_revenue, d.won_deals) == (Decimal("10000.00"), 1)  # deal figures stay
    _subject, text, html = digest.digest_render(d)
    assert "New leads" not in text and "New MQLs" not in text
    assert "New leads" not in html and "New MQLs" not in html


# --------------------------------------------------- contact-derived figures on other pages
#
# A narrowed reader (a rep under "own") gets "—" in place of each contact-derived figure and one
# muted line saying why; a marketer gets the figure. Deal figures stay for both.

HIDDEN_OWN = (
    "Hidden: these figures count every contact; your workspace shows you only your own contacts."
)


def _as(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def launch(marketer):
    from tests.campaigns.conftest import build_launch

    return build_launch(owner=marketer)


@pytest.mark.django_db
def test_the_campaign_page_hides_contact_figures_from_a_narrowed_rep(
    client, rep_a, marketer, launch
):
    url = f"/campaigns/{launch.campaign.pk}/"
    set_visibility(contact="own")

    body = _as(client, rep_a, url)
    assert '<div class="label">Leads</div><div class="value">—</div>' in body
    assert '<span data-metric="cost_per_lead">—</span>' in body
    assert '<div class="label">MQLs</div><div class="value">—</div>' in body
    assert '<div class="label">SQLs</div><div class="value">—</div>' in body
    assert "€125" not in body  # cost per lead
    assert "form submission" not in body and "identified contact" not in body
    assert body.count(HIDDEN_OWN) == 2  # under the goals and under the figures
    assert "€15,000" in body  # won revenue: a deal figure, stays

    body = _as(client, marketer, url)
    assert '<div class="label">Leads</div><div class="value">4</div>' in body
    assert '<span data-metric="cost_per_lead">€125</span>' in body
    assert '<div class="label">MQLs</div><div class="value">5</div>' in body
    assert '<div class="label">SQLs</div><div class="value">4</div>' in body
    assert HIDDEN_OWN not in body and "data-audience-hidden" not in body


@pytest.mark.django_db
def test_the_campaign_goals_leave_out_the_contact_counts(client, rep_a, marketer, launch):
    set_visibility(contact="own")
    client.force_login(rep_a)
    goals = client.get(f"/campaigns/{launch.campaign.pk}/").context["detail"].metrics.goals
    assert [(g.key, g.actual, g.percent) for g in goals][:3] == [
        ("leads", None, None),
        ("mqls", None, None),
        ("sqls", None, None),
    ]

    client.force_login(marketer)
    goals = client.get(f"/campaigns/{launch.campaign.pk}/").context["detail"].metrics.goals
    assert [(g.key, g.actual) for g in goals][:3] == [("leads", 4), ("mqls", 5), ("sqls", 4)]


@pytest.mark.django_db
def test_the_campaign_list_shows_a_dash_for_leads_to_a_narrowed_rep(
    client, rep_a, marketer, launch
):
    set_visibility(contact="own")
    body = _as(client, rep_a, "/campaigns/")
    assert '<td class="num" data-col="leads">—</td>' in body
    assert '<td class="num" data-col="cpl">—</td>' in body

    body = _as(client, marketer, "/campaigns/")
    assert '<td class="num" data-col="leads">4</td>' in body
    assert '<td class="num" data-col="cpl">€125</td>' in body


@pytest.mark.django_db
def test_recent_touchpoints_leave_out_contacts_the_rep_may_not_see(
    client, rep_a, rep_b, marketer, launch
):
    from revline.people.services import contact_create
    from revline.tracking.models import TouchpointKind
    from revline.tracking.services import touchpoint_record
    from tests.campaigns.conftest import T0

    zed = contact_create(actor=None, first_name="Zedekiah", email="zed@example.com", owner=rep_b)
    touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=None,
        contact=zed,
        campaign=launch.campaign,
        occurred_at=T0,
    )
    url = f"/campaigns/{launch.campaign.pk}/"
    set_visibility(contact="own")

    assert "Zedekiah" not in _as(client, rep_a, url)
    assert "Zedekiah" in _as(client, marketer, url)


@pytest.mark.django_db
def test_the_campaign_api_gives_null_contact_figures_to_a_narrowed_rep(rep_a, marketer, launch):
    from revline.core.services import api_token_issue
    from tests.api.conftest import ApiClient

    set_visibility(contact="own")
    path = f"/campaigns/{launch.campaign.pk}"

    m = ApiClient(api_token_issue(user=rep_a, name="t").raw).get(path).json()["metrics"]
    assert (m["leads"], m["cost_per_lead"], m["mqls"], m["sqls"]) == (None, None, None, None)
    assert m["whole_audience"] is False
    assert [(g["key"], g["actual"]) for g in m["goals"]][:3] == [
        ("leads", None),
        ("mqls", None),
        ("sqls", None),
    ]
    assert m["won_revenue"] == "15000.00"

    m = ApiClient(api_token_issue(user=marketer, name="t").raw).get(path).json()["metrics"]
    assert (m["leads"], m["mqls"], m["sqls"]) == (4, 5, 4)
    assert m["cost_per_lead"] == "125.00"
    assert m["whole_audience"] is True


@pytest.fixture
def webinar(db):
    """A landing page and its lead form with 2 submissions by 2 people (Ada, Bob)."""
    from revline.content.models import LandingPage
    from revline.content.services import LeadForm, RequestInfo, form_submit, page_view_record

    page = LandingPage.objects.create(slug="webinar", title="Webinar signup", headline="Join")
    for email in ("ada@example.com", "bob@example.com"):
        visitor_id = page_view_record(page=page, visitor_id=None, utm={}, info=RequestInfo())
        form_submit(
            page=page,
            form=LeadForm(email=email, first_name=email[:3].title(), consent=True),
            visitor_id=visitor_id,
            ip_address=None,
            utm={},
            info=RequestInfo(),
        )
    return page


@pytest.mark.django_db
def test_landing_pages_hide_submission_counts_from_a_narrowed_rep(client, rep_a, marketer, webinar):
    set_visibility(contact="own")
    body = _as(client, rep_a, "/pages/")
    assert '<td class="num" data-col="submissions">—</td>' in body
    body = _as(client, rep_a, f"/pages/{webinar.pk}/")
    assert '<div class="label">Submissions</div><div class="value">—</div>' in body
    assert HIDDEN_OWN in body
    assert "2 unique visitors" not in body

    body = _as(client, marketer, "/pages/")
    assert '<td class="num" data-col="submissions">2</td>' in body
    body = _as(client, marketer, f"/pages/{webinar.pk}/")
    assert '<div class="label">Submissions</div><div class="value">2</div>' in body
    assert "2 unique visitors" in body
    assert HIDDEN_OWN not in body


@pytest.mark.django_db
def test_forms_hide_submission_counts_and_other_reps_submitters(client, rep_a, rep_b, marketer):
    from revline.content.services import form_submission_create
    from revline.people.models import Contact
    from revline.tracking.services import RequestInfo
    from tests.content.builder_factories import make_form

    demo = make_form(marketer)
    for email in ("ann@example.com", "zedekiah@example.com", "cid@example.com"):
        form_submission_create(
            page=None,
            form=demo,
            values={"email": email, "first_name": email.split("@")[0].title()},
            consent=False,
            visitor_id=None,
            ip_address=None,
            utm={},
            info=RequestInfo(),
        )
    Contact.objects.filter(email="zedekiah@example.com").update(owner=rep_b)
    set_visibility(contact="own")

    assert '<td class="num" data-col="submissions">—</td>' in _as(client, rep_a, "/forms/")
    body = _as(client, rep_a, f"/forms/{demo.pk}/")
    assert '<div class="label">Submissions</div><div class="value">—</div>' in body
    assert '<div class="label">Contacts</div><div class="value">—</div>' in body
    assert HIDDEN_OWN in body
    assert "Ann" in body and "Zedekiah" not in body  # recent submissions: visible contacts only

    assert '<td class="num" data-col="submissions">3</td>' in _as(client, marketer, "/forms/")
    body = _as(client, marketer, f"/forms/{demo.pk}/")
    assert '<div class="label">Submissions</div><div class="value">3</div>' in body
    assert '<div class="label">Contacts</div><div class="value">3</div>' in body
    assert "Zedekiah" in body and HIDDEN_OWN not in body


@pytest.mark.django_db
def test_the_content_library_hides_leads_from_a_narrowed_rep(client, rep_a, marketer):
    from revline.content.models import ContentItem
    from revline.people.services import contact_create
    from revline.tracking.models import TouchpointKind
    from tests.content.test_library_views import touch

    item = ContentItem.objects.create(title="Pricing guide", url="https://example.com/p")
    ada = contact_create(actor=None, first_name="Ada", email="ada@example.com")
    touch(TouchpointKind.PAGE_VIEW, 2, item=item, contact=ada)
    touch(TouchpointKind.FORM_SUBMISSION, 3, contact=ada)
    set_visibility(contact="own")

    assert '<td class="num" data-col="leads">—</td>' in _as(client, rep_a, "/content/")
    body = _as(client, rep_a, f"/content/{item.pk}/")
    assert '<div class="label">Leads</div><div class="value">—</div>' in body
    assert HIDDEN_OWN in body

    assert '<td class="num" data-col="leads">1</td>' in _as(client, marketer, "/content/")
    body = _as(client, marketer, f"/content/{item.pk}/")
    assert '<div class="label">Leads</div><div class="value">1</div>' in body
    assert HIDDEN_OWN not in body


@pytest.mark.django_db
def test_survey_results_are_replaced_by_the_note_for_a_narrowed_rep(client, rep_a, marketer):
    from tests.surveys.conftest import make_nps_survey

    survey = make_nps_survey(marketer)
    set_visibility(contact="own")

    body = _as(client, rep_a, f"/research/surveys/{survey.pk}/results/")
    assert HIDDEN_OWN in body and 'data-stat="responses"' not in body
    assert "Export CSV" not in body
    assert client.get(f"/research/surveys/{survey.pk}/results.csv").status_code == 403
    assert '<td class="num" data-col="responses">—</td>' in _as(client, rep_a, "/research/surveys/")

    body = _as(client, marketer, f"/research/surveys/{survey.pk}/results/")
    assert 'data-stat="responses"' in body and HIDDEN_OWN not in body
    assert client.get(f"/research/surveys/{survey.pk}/results.csv").status_code == 200


# Routes counted over every contact: 403 with the reason for a narrowed reader. An id that does
# not exist shows the guard comes first: the marketer then gets 404, the rep 403.
GUARDED_ROUTES = [
    "/emails/999999/stats",
    "/experiments/999999/results",
    "/surveys/999999/results",
    "/content/forms/999999/submissions",
    "/content/forms/999999/submissions/1",
    "/content/landing-pages/999999/submissions",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", GUARDED_ROUTES)
def test_whole_audience_api_routes_answer_403_to_a_narrowed_rep(rep_a, marketer, path):
    from revline.core.services import api_token_issue
    from tests.api.conftest import ApiClient

    set_visibility(contact="own")
    response = ApiClient(api_token_issue(user=rep_a, name="t").raw).get(path)
    assert response.status_code == 403
    assert response.json() == {"detail": REFUSAL_OWN}

    response = ApiClient(api_token_issue(user=marketer, name="t").raw).get(path)
    assert response.status_code == 404


@pytest.mark.django_db
def test_experiments_hide_users_and_conversions_from_a_narrowed_rep(client, rep_a, marketer):
    from revline.core.services import api_token_issue
    from revline.experiments.services import experiment_create
    from tests.api.conftest import ApiClient
    from tests.experiments.factories import cta_spec, make_page

    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    set_visibility(contact="own")

    body = _as(client, rep_a, "/experiments/")
    assert '<td class="num" data-col="users">—</td>' in body
    body = _as(client, rep_a, f"/experiments/{experiment.pk}/")
    assert HIDDEN_OWN in body and 'id="total-users"' not in body
    assert client.get(f"/experiments/{experiment.pk}/results.csv").status_code == 403
    api = ApiClient(api_token_issue(user=rep_a, name="t").raw)
    row = api.get(f"/experiments/{experiment.pk}").json()
    assert (row["users"], row["conversions"]) == (None, None)

    body = _as(client, marketer, "/experiments/")
    assert '<td class="num" data-col="users">0</td>' in body
    body = _as(client, marketer, f"/experiments/{experiment.pk}/")
    assert HIDDEN_OWN not in body and 'id="total-users"' in body
    api = ApiClient(api_token_issue(user=marketer, name="t").raw)
    row = api.get(f"/experiments/{experiment.pk}").json()
    assert (row["users"], row["conversions"]) == (0, 0)


@pytest.mark.django_db
def test_campaign_emails_hide_their_report_from_a_narrowed_rep(
    client, rep_a, marketer, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from revline.email.models import Send
    from tests.email.test_send_views import sent_email

    email = sent_email(marketer, django_capture_on_commit_callbacks)
    Send.objects.filter(to_address="ann1@example.com").update(first_opened_at=timezone.now())
    set_visibility(contact="own")

    assert "50.0 %" not in _as(client, rep_a, "/email/")  # 1 of 2 delivered opened
    body = _as(client, rep_a, f"/email/{email.pk}/")
    assert HIDDEN_OWN in body
    assert "Leads influenced" not in body and 'id="send-chart-data"' not in body

    assert "50.0 %" in _as(client, marketer, "/email/")
    body = _as(client, marketer, f"/email/{email.pk}/")
    assert "Leads influenced" in body and "50.0 %" in body and HIDDEN_OWN not in body


@pytest.mark.django_db
def test_the_survey_page_hides_response_and_invite_counts_from_a_narrowed_rep(
    client, rep_a, marketer
):
    from django.test import Client
    from django.utils import timezone

    from revline.core.services import api_token_issue
    from revline.surveys import services
    from revline.surveys.models import SurveyInvite
    from tests.api.conftest import ApiClient
    from tests.surveys.conftest import make_contact, make_nps_survey, post_data

    survey = make_nps_survey(marketer)
    invites = [services.invite_for(survey=survey, contact=make_contact(n)) for n in (1, 2, 3)]
    SurveyInvite.objects.filter(pk__in=[i.pk for i in invites[:2]]).update(sent_at=timezone.now())
    answered = Client().post(f"/s/{survey.slug}/{invites[0].token}/", post_data(survey, How="9"))
    assert answered.status_code == 302
    url = f"/research/surveys/{survey.pk}/"
    set_visibility(contact="own")

    body = _as(client, rep_a, url)
    assert '<dd data-stat="responses">—</dd>' in body
    assert '<dd data-stat="invites">—</dd>' in body
    assert "emailed" not in body and "Results (" not in body
    assert HIDDEN_OWN in body
    api = ApiClient(api_token_issue(user=rep_a, name="t").raw)
    assert api.get(f"/surveys/{survey.pk}").json()["response_count"] is None

    body = _as(client, marketer, url)
    assert '<dd data-stat="responses">1</dd>' in body
    assert '<dd data-stat="invites">3 · 2 emailed · 1 answered</dd>' in body
    assert "Results (1)" in body and HIDDEN_OWN not in body
    api = ApiClient(api_token_issue(user=marketer, name="t").raw)
    assert api.get(f"/surveys/{survey.pk}").json()["response_count"] == 1


@pytest.mark.django_db
def test_the_sending_progress_hides_recipient_counts_from_a_narrowed_rep(
    client, rep_a, marketer, settings
):
    from revline.email import send_services
    from revline.email.models import EmailStatus, Send, SendState
    from tests.email.test_send_services import make_contact, make_email

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_contact(1), make_contact(2)
    email = make_email(marketer)
    send_services.email_send_now(actor=marketer, email=email)
    Send.objects.filter(to_address="ann1@example.com").update(state=SendState.SENT)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
    set_visibility(contact="own")

    body = _as(client, rep_a, f"/email/{email.pk}/")
    assert '<p class="muted" data-progress="hidden">Sending…</p>' in body
    assert "handled" not in body and "to go" not in body
    assert HIDDEN_OWN in body
    partial = _as(client, rep_a, f"/email/{email.pk}/progress")
    assert "Sending…" in partial and "handled" not in partial
    assert 'hx-trigger="every 2s"' in partial  # the state still updates

    body = _as(client, marketer, f"/email/{email.pk}/")
    assert "1 of 2 handled (50 %), 1 to go." in body and "Sending…" not in body
    assert HIDDEN_OWN not in body
    assert "1 of 2 handled (50 %), 1 to go." in _as(client, marketer, f"/email/{email.pk}/progress")


@pytest.mark.django_db
def test_content_revenue_counts_only_the_deals_the_reader_may_see(client, rep_a, rep_b, marketer):
    from revline.content.models import ContentItem, ContentKind
    from revline.core.services import api_token_issue
    from revline.people.services import contact_create
    from revline.sales.models import Deal
    from revline.tracking.models import TouchpointKind
    from tests.api.conftest import ApiClient
    from tests.content.test_library_views import touch, won

    item = ContentItem.objects.create(
        title="Pricing guide", url="https://example.com/p", kind=ContentKind.WHITEPAPER
    )
    ada = contact_create(actor=None, first_name="Ada", email="ada@example.com")
    touch(TouchpointKind.PAGE_VIEW, 2, item=item, contact=ada)
    mine = won(ada, "1000", "EUR", 5, "Ada renewal")
    theirs = won(ada, "2000", "EUR", 6, "Zed upsell")
    Deal.objects.filter(pk=mine.pk).update(owner=rep_a)
    Deal.objects.filter(pk=theirs.pk).update(owner=rep_b)
    set_visibility(contact="own", deal="own")
    revenue = '<div class="label">Revenue</div><div class="value">{}</div>'

    body = _as(client, rep_a, "/content/")
    assert '<td class="num">€1,000</td>' in body and "€3,000" not in body
    body = _as(client, rep_a, f"/content/{item.pk}/")
    assert revenue.format("€1,000") in body
    assert "1 won deal of people who saw it" in body
    assert "Ada renewal" in body and "Zed upsell" not in body
    assert HIDDEN_OWN in body  # leads: contact-derived
    api = ApiClient(api_token_issue(user=rep_a, name="t").raw)
    assert api.get(f"/content/items/{item.pk}").json()["revenue"] == "1000.00"
    assert [row["revenue"] for row in api.get("/content/items").json()["items"]] == ["1000.00"]

    body = _as(client, marketer, "/content/")
    assert '<td class="num">€3,000</td>' in body
    body = _as(client, marketer, f"/content/{item.pk}/")
    assert revenue.format("€3,000") in body
    assert "2 won deals of people who saw it" in body
    assert "Ada renewal" in body and "Zed upsell" in body
    api = ApiClient(api_token_issue(user=marketer, name="t").raw)
    assert api.get(f"/content/items/{item.pk}").json()["revenue"] == "3000.00"
