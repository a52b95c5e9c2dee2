"""The competitor list, a competitor's page (profile, battlecard, deals, numbers, PR coverage
and feedback mentioning it), the printable battlecard and the edit form."""

from datetime import date

import pytest
from django.utils import timezone

from revline.competitors.selectors import feedback_model
from revline.competitors.services import competitor_create, deal_competitor_add
from revline.pr.services import coverage_create
from revline.sales.models import Competitor
from revline.sales.services import deal_close_lost, deal_close_won

from .conftest import login, make_deal, reason

FULL = {
    "name": "Rivalsoft",
    "website": "https://rival.example",
    "positioning": "Cheap pipeline tool",
    "strengths": "Fast set-up",
    "weaknesses": "No marketing",
    "pricing_notes": "€19 per seat",
    "how_to_win": "Show the closed loop",
    "landmines": "Where do quotes live?",
    "proof_points": "Northwind switched",
}


@pytest.fixture
def rival(db) -> Competitor:
    return competitor_create(
        actor=None,
        name="Rivalsoft",
        website="https://rival.example",
        positioning="Cheap <b>pipeline</b> tool\nfor small teams",
        how_to_win="Lead with the closed loop",
        proof_points="Northwind switched",
    )


# ---------------------------------------------------------------- the list


def test_list_counts_visible_deals_and_sorts_by_win_rate(pipeline, client, rep_a, rep_b, rival):
    other = competitor_create(actor=None, name="Othercorp")
    won = make_deal(rep_a, name="Won A")
    deal_competitor_add(actor=None, deal=won, competitor=rival)
    deal_close_won(actor=None, deal=won, reason=reason("won", "Relationship"))
    lost = make_deal(rep_a, name="Lost A")
    deal_close_lost(actor=None, deal=lost, reason=reason("lost", "Price"), lost_to=other)
    hidden = make_deal(rep_b, name="Team B win")
    deal_competitor_add(actor=None, deal=hidden, competitor=other)
    deal_close_won(actor=None, deal=hidden, reason=reason("won", "Relationship"))
    listing = login(client, rep_a).get("/sales/competitors/?sort=-win_rate").context["listing"]
    assert [(c.name, c.involved, c.won_deals, c.lost_deals, c.win_rate) for c in listing.page] == [
        ("Rivalsoft", 1, 1, 0, 100.0),
        ("Othercorp", 1, 0, 1, 0.0),  # team B's win is not counted for a team A rep
    ]


def test_list_search_and_empty_states(client, marketer, rival):
    client = login(client, marketer)
    assert [
        c.name for c in client.get("/sales/competitors/?q=PIPELINE").context["listing"].page
    ] == ["Rivalsoft"]
    html = client.get("/sales/competitors/?q=nothing").content.decode()
    assert "No competitor matches." in html
    Competitor.objects.all().delete()
    assert "No competitors yet." in client.get("/sales/competitors/").content.decode()


def test_the_navigation_name_still_points_to_the_list(client, rep_a, rival):
    from django.urls import reverse

    assert reverse("sales:competitors") == reverse("competitors:list") == "/sales/competitors/"


# ---------------------------------------------------------------- a competitor's page


def test_the_page_shows_profile_battlecard_numbers_and_visible_deals(
    pipeline, client, rep_a, rep_b, admin_user, rival
):
    mine = make_deal(rep_a, name="Northwind renewal", amount="2000")
    deal_close_lost(actor=None, deal=mine, reason=reason("lost", "Price"), lost_to=rival)
    theirs = make_deal(rep_b, name="Secret team B deal")
    deal_competitor_add(actor=None, deal=theirs, competitor=rival)
    response = login(client, rep_a).get(f"/sales/competitors/{rival.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cheap &lt;b&gt;pipeline&lt;/b&gt; tool<br>for small teams" in html
    assert "Lead with the closed loop" in html
    assert "Northwind renewal" in html
    assert "Secret team B deal" not in html
    numbers = response.context["page"].numbers
    assert (numbers.involved, numbers.lost, numbers.lost_to) == (1, 1, 1)
    assert [(r.label, r.count) for r in numbers.reasons] == [("Price", 1)]


def test_a_rep_reads_but_cannot_edit(client, rep_a, rival):
    client = login(client, rep_a)
    assert client.get(f"/sales/competitors/{rival.pk}/").context["can_edit"] is False
    assert client.get(f"/sales/competitors/{rival.pk}/edit/").status_code == 403
    response = client.post(f"/sales/competitors/{rival.pk}/edit/", {**FULL, "name": "Hacked"})
    assert response.status_code == 403
    assert client.post("/sales/competitors/new/", {**FULL, "name": "New"}).status_code == 403
    assert list(Competitor.objects.values_list("name", flat=True)) == ["Rivalsoft"]


def test_an_unknown_competitor_is_a_404(client, rep_a):
    assert login(client, rep_a).get("/sales/competitors/999999/").status_code == 404


def test_coverage_naming_it_in_any_case_is_listed(client, marketer, rival):
    coverage_create(
        actor=None,
        outlet="SaaS Weekly",
        title="RIVALSOFT raises prices",
        published_on=date(2025, 3, 1),
        about_us=False,
        competitors=["RIVALSOFT"],
    )
    coverage_create(
        actor=None,
        outlet="Other news",
        title="Someone else",
        published_on=date(2025, 3, 2),
        about_us=False,
        competitors=["Rivalsoft Labs"],
    )
    page = login(client, marketer).get(f"/sales/competitors/{rival.pk}/").context["page"]
    assert [c.title for c in page.coverage] == ["RIVALSOFT raises prices"]
    assert page.coverage_total == 1


@pytest.mark.skipif(feedback_model() is None, reason="the feedback inbox has no items yet")
def test_feedback_mentioning_it_is_listed_within_deal_visibility(
    pipeline, client, rep_a, rep_b, rival
):
    model = feedback_model()
    hidden = make_deal(rep_b, name="Team B deal")
    now = timezone.now()
    for text, deal in [
        ("We compared you with rivalsoft; yours is easier.", None),
        ("Rivalsoft was cheaper for team B.", hidden),
        ("Nothing about competitors here.", None),
    ]:
        model.objects.create(
            source="manual", text=text, deal=deal, sentiment="neutral", occurred_at=now
        )
    response = login(client, rep_a).get(f"/sales/competitors/{rival.pk}/")
    page = response.context["page"]
    assert [item.text for item in page.feedback] == [
        "We compared you with rivalsoft; yours is easier."
    ]
    assert "yours is easier" in response.content.decode()


def test_the_printable_battlecard(client, rep_a, rival):
    response = login(client, rep_a).get(f"/sales/competitors/{rival.pk}/battlecard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lead with the closed loop" in html
    assert "Northwind switched" in html
    assert 'class="sidebar"' not in html


# ---------------------------------------------------------------- the form


def test_a_marketer_creates_a_competitor_with_its_battlecard(client, marketer):
    response = login(client, marketer).post(
        "/sales/competitors/new/", {**FULL, "website": "rival.example", "landmines": "a\r\nb"}
    )
    rival = Competitor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/competitors/{rival.pk}/"
    assert rival.website == "https://rival.example"
    assert (rival.how_to_win, rival.landmines, rival.pricing_notes) == (
        "Show the closed loop",
        "a\nb",
        "€19 per seat",
    )


def test_a_manager_edits_the_battlecard(client, manager_a, rival):
    response = login(client, manager_a).post(
        f"/sales/competitors/{rival.pk}/edit/", {**FULL, "how_to_win": "  New play  "}
    )
    rival.refresh_from_db()
    assert response.status_code == 302
    assert rival.how_to_win == "New play"
    assert rival.strengths == "Fast set-up"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "rivalsoft"}, "name", "This competitor is already in the list."),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"how_to_win": "x" * 5001}, "how_to_win", "at most 5000 characters"),
    ],
)
def test_bad_input_is_refused_field_by_field(client, admin_user, rival, changes, field, message):
    other = competitor_create(actor=None, name="Othercorp", how_to_win="Keep me")
    response = login(client, admin_user).post(
        f"/sales/competitors/{other.pk}/edit/", {**FULL, **changes}
    )
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    other.refresh_from_db()
    assert (other.name, other.how_to_win) == ("Othercorp", "Keep me")
