"""Landing-page management: list, detail with submissions, create and edit (marketers only)."""

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import FormSubmission, LandingPage
from revline.content.services import LeadForm, form_submit, page_view_record
from revline.tracking.services import RequestInfo

FORM = {
    "title": "Demo request",
    "slug": "demo",
    "headline": "See Revline in 20 minutes",
    "body": "Book a demo.",
    "cta_label": "Book my demo",
    "success_message": "Thanks! We will email you.",
    "campaign": "",
    "consent_purpose": "marketing_email",
    "consent_wording": "I agree to receive marketing emails.",
    "consent_wording_version": "v1",
    "is_published": "on",
}


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(name="Webinar", channel=Channel.EVENTS, utm_campaign="webinar")


@pytest.fixture
def pages(campaign) -> dict[str, LandingPage]:
    """Webinar (2 views, 2 submissions by 2 people), Ebook (draft, nothing yet)."""
    webinar = LandingPage.objects.create(
        slug="webinar", title="Webinar signup", headline="Join <b>us</b>", campaign=campaign
    )
    ebook = LandingPage.objects.create(
        slug="ebook", title="Ebook", headline="Free guide", is_published=False
    )
    for email in ("ada@example.com", "bob@example.com"):
        visitor_id = page_view_record(page=webinar, visitor_id=None, utm={}, info=RequestInfo())
        form_submit(
            page=webinar,
            form=LeadForm(email=email, first_name=email[:3].title(), consent=True),
            visitor_id=visitor_id,
            ip_address=None,
            utm={},
            info=RequestInfo(),
        )
    return {"webinar": webinar, "ebook": ebook}


def titles(response) -> list[str]:
    return [p.title for p in response.context["listing"].page]


def test_list_shows_submission_counts_and_public_links(client, rep_a, pages):
    client.force_login(rep_a)

    response = client.get("/pages/")

    assert response.status_code == 200
    assert [(p.title, p.submission_count) for p in response.context["listing"].page] == [
        ("Ebook", 0),
        ("Webinar signup", 2),
    ]
    html = response.content.decode()
    assert '<a href="/lp/webinar" target="_blank" rel="noopener">/lp/webinar</a>' in html
    assert '<a href="/lp/ebook"' not in html  # drafts are not public
    assert "New landing page" not in html


def test_list_searches_filters_and_sorts(client, marketer, pages, campaign):
    client.force_login(marketer)

    assert titles(client.get("/pages/?q=guide")) == ["Ebook"]
    assert titles(client.get(f"/pages/?campaign={campaign.pk}")) == ["Webinar signup"]
    assert titles(client.get("/pages/?status=draft")) == ["Ebook"]
    assert titles(client.get("/pages/?sort=-submissions")) == ["Webinar signup", "Ebook"]
    assert titles(client.get("/pages/?campaign=abc&status=maybe")) == []
    assert "New landing page" in client.get("/pages/").content.decode()


def test_empty_list_has_an_empty_state(client, marketer, db):
    client.force_login(marketer)

    assert "No landing pages yet." in client.get("/pages/").content.decode()


def test_detail_shows_counts_and_recent_submissions(client, rep_a, pages):
    client.force_login(rep_a)
    webinar = pages["webinar"]

    response = client.get(f"/pages/{webinar.pk}/")

    detail = response.context["detail"]
    assert (detail.page_views, detail.submissions, detail.contacts, detail.conversion_rate) == (
        2,
        2,
        2,
        100.0,
    )
    html = response.content.decode()
    for submission in FormSubmission.objects.all():
        assert f'href="/people/contacts/{submission.contact_id}/"' in html
    assert "Join &lt;b&gt;us&lt;/b&gt;" in html
    assert "Edit page" not in html


def test_draft_detail_has_no_conversion_rate_yet(client, marketer, pages):
    client.force_login(marketer)

    detail = client.get(f"/pages/{pages['ebook'].pk}/").context["detail"]

    assert (detail.page_views, detail.submissions, detail.conversion_rate) == (0, 0, None)


def test_marketer_creates_a_page_for_a_campaign(client, marketer, campaign):
    client.force_login(marketer)
    assert client.get(f"/pages/new?campaign={campaign.pk}").context["form"]["campaign"].value() == (
        campaign.pk
    )

    response = client.post("/pages/new", {**FORM, "campaign": campaign.pk})

    page = LandingPage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pages/{page.pk}/"
    assert (page.slug, page.campaign, page.cta_label, page.is_published) == (
        "demo",
        campaign,
        "Book my demo",
        True,
    )
    assert client.get("/lp/demo").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "webinar"}, "slug"),
        ({"slug": "not a slug!"}, "slug"),
        ({"headline": ""}, "headline"),
        ({"campaign": "999"}, "campaign"),
    ],
)
def test_invalid_page_shows_errors_and_creates_nothing(client, marketer, pages, change, field):
    client.force_login(marketer)

    response = client.post("/pages/new", {**FORM, **change})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert LandingPage.objects.count() == 2


def test_sales_rep_cannot_create_or_edit_pages(client, rep_a, pages):
    client.force_login(rep_a)
    webinar = pages["webinar"]

    assert client.get("/pages/new").status_code == 403
    assert client.post("/pages/new", FORM).status_code == 403
    assert client.get(f"/pages/{webinar.pk}/edit").status_code == 403
    assert client.post(f"/pages/{webinar.pk}/edit", {**FORM, "slug": "webinar"}).status_code == 403
    assert LandingPage.objects.count() == 2
    webinar.refresh_from_db()
    assert webinar.title == "Webinar signup"


def test_marketer_edits_a_page(client, marketer, pages):
    client.force_login(marketer)
    ebook = pages["ebook"]
    assert client.get(f"/pages/{ebook.pk}/edit").context["form"]["slug"].value() == "ebook"

    response = client.post(f"/pages/{ebook.pk}/edit", {**FORM, "slug": "ebook", "title": "Guide"})

    assert response.status_code == 302
    ebook.refresh_from_db()
    assert (ebook.title, ebook.headline, ebook.is_published) == (
        "Guide",
        "See Revline in 20 minutes",
        True,
    )


def test_invalid_edit_changes_nothing(client, marketer, pages):
    client.force_login(marketer)
    ebook = pages["ebook"]

    response = client.post(
        f"/pages/{ebook.pk}/edit", {**FORM, "slug": "webinar", "title": "Stolen slug"}
    )

    assert response.status_code == 400
    assert "Ebook" in response.content.decode()  # heading shows the stored title
    ebook.refresh_from_db()
    assert (ebook.slug, ebook.title) == ("ebook", "Ebook")


def test_unknown_page_is_404(client, marketer, db):
    client.force_login(marketer)

    assert client.get("/pages/999/").status_code == 404
    assert client.get("/pages/999/edit").status_code == 404
