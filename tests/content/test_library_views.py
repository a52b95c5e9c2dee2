"""Content library pages: list with search, filters and performance; detail; create and edit."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.campaigns.models import Campaign, Channel
from revline.content.models import ContentItem, ContentKind, ContentStatus
from revline.people.models import Contact
from revline.people.services import contact_create
from revline.sales.services import deal_close_lost, deal_close_won, deal_create
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor

MARCH = datetime(2025, 3, 1, 9, tzinfo=timezone.get_fixed_timezone(0))


def at(day: int) -> datetime:
    return MARCH.replace(day=day)


def touch(kind: str, day: int, *, item=None, contact=None, visitor=None) -> Touchpoint:
    return Touchpoint.objects.create(
        kind=kind, occurred_at=at(day), content_item=item, contact=contact, visitor=visitor
    )


def visitor(contact: Contact | None = None) -> Visitor:
    return Visitor.objects.create(contact=contact, first_seen_at=MARCH, last_seen_at=MARCH)


def won(contact: Contact, amount: str, currency: str, day: int, name: str):
    deal = deal_create(
        actor=None, name=name, amount=Decimal(amount), currency=currency, contact=contact
    )
    return deal_close_won(actor=None, deal=deal, note="Signed", at=at(day))


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(name="Spring launch", channel=Channel.CONTENT)


@pytest.fixture
def library(marketer, campaign) -> dict[str, ContentItem]:
    """Guide (whitepaper, in review, Spring launch), Post (blog post, published), Idea."""
    return {
        "guide": ContentItem.objects.create(
            title="Pricing guide",
            kind=ContentKind.WHITEPAPER,
            status=ContentStatus.IN_REVIEW,
            owner=marketer,
            persona="Head of Sales",
            funnel_stage="decision",
            campaign=campaign,
            url="https://example.com/guides/pricing",
            publish_date=date(2025, 3, 20),
        ),
        "post": ContentItem.objects.create(
            title="Ten pipeline habits",
            kind=ContentKind.BLOG_POST,
            status=ContentStatus.PUBLISHED,
            persona="Founder",
            funnel_stage="awareness",
            url="https://example.com/blog/habits",
            publish_date=date(2025, 2, 3),
        ),
        "idea": ContentItem.objects.create(
            title="Webinar on forecasting", kind=ContentKind.WEBINAR
        ),
    }


@pytest.fixture
def performance(settings, library) -> dict[str, Contact]:
    """Touches on the guide by an anonymous visitor, Ada (twice, then a CTA click) and Bob.

    Ada submitted a form after seeing the guide (a lead); Bob submitted before (not a lead).
    Ada won 1,000 EUR after seeing it (counted) and 500 USD (other currency); Bob won 700 EUR
    before he saw it (not counted) and lost 9,999 EUR.
    """
    settings.CURRENCY = "EUR"
    guide = library["guide"]
    ada = contact_create(actor=None, first_name="Ada", email="ada@example.com")
    bob = contact_create(actor=None, first_name="Bob", email="bob@example.com")
    ada_browser, bob_browser = visitor(ada), visitor(bob)
    touch(TouchpointKind.PAGE_VIEW, 1, item=guide, visitor=visitor())
    touch(TouchpointKind.PAGE_VIEW, 2, item=guide, contact=ada, visitor=ada_browser)
    touch(TouchpointKind.PAGE_VIEW, 3, item=guide, contact=ada, visitor=ada_browser)
    touch(TouchpointKind.CTA_CLICK, 3, item=guide, contact=ada, visitor=ada_browser)
    touch(TouchpointKind.FORM_SUBMISSION, 4, contact=ada)
    touch(TouchpointKind.FORM_SUBMISSION, 4, contact=bob)
    touch(TouchpointKind.PAGE_VIEW, 5, item=guide, contact=bob, visitor=bob_browser)
    touch(TouchpointKind.PAGE_VIEW, 6, item=library["post"], contact=bob)
    won(ada, "1000", "EUR", 10, "Ada's first order")
    won(ada, "500", "USD", 11, "Ada's US order")
    won(bob, "700", "EUR", 4, "Bob's early order")
    lost = deal_create(actor=None, name="Bob's big one", amount=Decimal("9999"), contact=bob)
    deal_close_lost(actor=None, deal=lost, note="Budget", at=at(12))
    return {"ada": ada, "bob": bob}


def titles(response) -> list[str]:
    return [item.title for item in response.context["listing"].page]


def test_everyone_reads_the_library_newest_publish_date_first(client, rep_a, library):
    client.force_login(rep_a)

    response = client.get("/content/")

    assert response.status_code == 200
    assert titles(response) == ["Pricing guide", "Ten pipeline habits", "Webinar on forecasting"]
    html = response.content.decode()
    assert '<span class="badge warn">In review</span>' in html
    assert '<span class="badge ok">Published</span>' in html
    assert "New content" not in html


def test_list_searches_title_persona_and_url(client, marketer, library):
    client.force_login(marketer)

    assert titles(client.get("/content/?q=pricing")) == ["Pricing guide"]
    assert titles(client.get("/content/?q=founder")) == ["Ten pipeline habits"]
    assert titles(client.get("/content/?q=blog/habits")) == ["Ten pipeline habits"]
    assert titles(client.get("/content/?q=nothing-like-this")) == []


def test_list_filters_by_kind_status_owner_stage_and_campaign(client, marketer, library, campaign):
    client.force_login(marketer)

    assert titles(client.get("/content/?kind=webinar")) == ["Webinar on forecasting"]
    assert titles(client.get("/content/?status=published")) == ["Ten pipeline habits"]
    assert titles(client.get("/content/?owner=marketer")) == ["Pricing guide"]
    assert titles(client.get("/content/?stage=awareness")) == ["Ten pipeline habits"]
    assert titles(client.get(f"/content/?campaign={campaign.pk}")) == ["Pricing guide"]
    assert titles(client.get("/content/?campaign=abc&status=<b>")) == []
    empty = client.get("/content/?kind=video").content.decode()
    assert "No content matches these filters." in empty


def test_list_sorts_by_performance_columns(client, marketer, library, performance):
    client.force_login(marketer)

    response = client.get("/content/?sort=-views")

    assert titles(response) == ["Pricing guide", "Ten pipeline habits", "Webinar on forecasting"]
    rows = [(i.title, i.views, i.leads, i.revenue) for i in response.context["listing"].page]
    assert rows == [
        ("Pricing guide", 4, 1, Decimal("1000.00")),
        ("Ten pipeline habits", 1, 0, Decimal("0")),
        ("Webinar on forecasting", 0, 0, Decimal("0")),
    ]
    assert "€1,000" in response.content.decode()
    assert titles(client.get("/content/?sort=title")) == [
        "Pricing guide",
        "Ten pipeline habits",
        "Webinar on forecasting",
    ]


def test_detail_shows_exact_performance(client, rep_a, library, performance):
    client.force_login(rep_a)

    response = client.get(f"/content/{library['guide'].pk}/")

    assert response.status_code == 200
    figures = response.context["performance"]
    assert (figures.views, figures.unique_visitors, figures.cta_clicks, figures.leads) == (
        4,
        3,
        1,
        1,
    )
    assert (figures.revenue, figures.won_deals, figures.won_other_currency) == (
        Decimal("1000.00"),
        1,
        1,
    )
    assert [d.name for d in figures.credited_deals] == ["Ada's first order"]
    assert len(figures.recent_touches) == 5
    html = response.content.decode()
    assert "€1,000" in html
    assert "1 in other currencies not counted" in html
    assert "Anonymous visitor" in html
    assert "Move to scheduled" not in html  # reps read only


def test_detail_offers_the_allowed_workflow_steps(client, marketer, library):
    client.force_login(marketer)

    html = client.get(f"/content/{library['guide'].pk}/").content.decode()

    assert "Back to draft" in html
    assert "Move to scheduled" in html
    assert "Move to published" not in html


def test_status_post_takes_a_step_and_refuses_a_skip(client, marketer, library):
    client.force_login(marketer)
    guide = library["guide"]

    ok = client.post(f"/content/{guide.pk}/status", {"status": "scheduled"})
    refused = client.post(f"/content/{library['idea'].pk}/status", {"status": "published"})

    assert ok.status_code == 302
    assert ContentItem.objects.get(pk=guide.pk).status == "scheduled"
    assert refused.status_code == 400
    assert "can move only to draft, not to published" in refused.content.decode()
    assert ContentItem.objects.get(pk=library["idea"].pk).status == "idea"


def test_status_cannot_change_on_get_or_by_a_rep(client, rep_a, library):
    client.force_login(rep_a)
    guide = library["guide"]

    assert client.get(f"/content/{guide.pk}/status?status=scheduled").status_code == 405
    assert client.post(f"/content/{guide.pk}/status", {"status": "scheduled"}).status_code == 403
    assert ContentItem.objects.get(pk=guide.pk).status == "in_review"


FORM = {
    "title": "Case study: Acme",
    "kind": "case_study",
    "status": "draft",
    "owner": "",
    "campaign": "",
    "publish_date": "2025-04-14",
    "persona": "CFO",
    "funnel_stage": "consideration",
    "url": "https://example.com/customers/acme",
    "summary": "How Acme grew.",
}


def test_marketer_creates_content_from_the_form(client, marketer, campaign):
    client.force_login(marketer)

    response = client.post("/content/new", {**FORM, "campaign": campaign.pk})

    item = ContentItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/content/{item.pk}/"
    assert (item.title, item.kind, item.campaign, item.publish_date) == (
        "Case study: Acme",
        "case_study",
        campaign,
        date(2025, 4, 14),
    )


def test_create_form_is_prefilled_from_the_calendar_day(client, marketer):
    client.force_login(marketer)

    html = client.get("/content/new?date=2025-04-14").content.decode()

    assert 'value="2025-04-14"' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "x" * 201}, "title", "Ensure this value has at most 200 characters"),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"url": "ftp://example.com/file"}, "url", "starts with http:// or https://"),
        ({"publish_date": "2025-02-30"}, "publish_date", "Enter a valid date."),
        ({"publish_date": "3025-01-01"}, "publish_date", "Choose a date between 1990 and 2100."),
        ({"status": "scheduled", "publish_date": ""}, "publish_date", "needs a publish date"),
        ({"summary": "y" * 5001}, "summary", "at most 5000 characters"),
        ({"kind": "<script>"}, "kind", "Select a valid choice."),
    ],
)
def test_bad_input_gets_an_inline_error_and_saves_nothing(
    client, marketer, changes, field, message
):
    client.force_login(marketer)

    response = client.post("/content/new", {**FORM, **changes})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not ContentItem.objects.exists()


def test_script_payloads_are_stored_as_text_and_never_executed(client, marketer):
    client.force_login(marketer)
    payload = '<script>alert("x")</script>'

    client.post("/content/new", {**FORM, "title": payload, "persona": payload, "summary": payload})

    item = ContentItem.objects.get()
    assert item.title == payload
    pages = [
        client.get("/content/").content.decode(),
        client.get(f"/content/{item.pk}/").content.decode(),
        client.get("/content/calendar/?date=2025-04-14").content.decode(),
        client.get(f"/content/{item.pk}/edit").content.decode(),
    ]
    for html in pages:
        assert payload not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_edit_refusing_a_skip_keeps_the_stored_item(client, marketer, library):
    client.force_login(marketer)
    guide = library["guide"]

    response = client.post(
        f"/content/{guide.pk}/edit", {**FORM, "title": "Renamed", "status": "published"}
    )

    assert response.status_code == 400
    assert "Select a valid choice." in " ".join(response.context["form"].errors["status"])
    stored = ContentItem.objects.get(pk=guide.pk)
    assert (stored.title, stored.status) == ("Pricing guide", "in_review")
    assert "Pricing guide" in response.content.decode()  # the breadcrumb shows the stored title


def test_edit_saves_an_allowed_step(client, marketer, library):
    client.force_login(marketer)
    guide = library["guide"]

    response = client.post(f"/content/{guide.pk}/edit", {**FORM, "status": "scheduled"})

    assert response.status_code == 302
    stored = ContentItem.objects.get(pk=guide.pk)
    assert (stored.title, stored.status, stored.url) == (
        "Case study: Acme",
        "scheduled",
        "https://example.com/customers/acme",
    )


def test_reps_cannot_open_or_post_the_forms(client, rep_a, library):
    client.force_login(rep_a)

    assert client.get("/content/new").status_code == 403
    assert client.post("/content/new", FORM).status_code == 403
    assert client.post(f"/content/{library['guide'].pk}/edit", FORM).status_code == 403
    assert ContentItem.objects.count() == 3
    assert ContentItem.objects.get(pk=library["guide"].pk).title == "Pricing guide"


def test_a_stored_non_web_url_is_shown_but_never_linked(client, marketer, db):
    item = ContentItem.objects.create(title="Legacy", kind="video", url="javascript:alert(1)")
    client.force_login(marketer)

    html = client.get(f"/content/{item.pk}/").content.decode()

    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html


def test_list_query_count_does_not_grow_with_items(
    client, marketer, library, performance, django_assert_max_num_queries
):
    client.force_login(marketer)
    client.get("/content/")  # warm the session
    with django_assert_max_num_queries(6):
        client.get("/content/")
    for n in range(30):
        item = ContentItem.objects.create(
            title=f"Post {n}", kind="blog_post", owner=marketer, campaign=library["guide"].campaign
        )
        touch(TouchpointKind.PAGE_VIEW, 2, item=item, contact=performance["ada"])

    with django_assert_max_num_queries(6):
        response = client.get("/content/?sort=-leads")

    assert response.status_code == 200
    assert len(response.context["listing"].page) == 25
