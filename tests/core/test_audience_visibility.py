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
