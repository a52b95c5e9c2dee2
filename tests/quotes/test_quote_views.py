"""Quote pages over HTTP: the deal panel, the editor, sending, approvals, permissions, PDFs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.quotes import quote_services as qs
from revline.quotes.models import Quote, QuoteApproval, QuoteVersion
from tests.conftest import PASSWORD, make_user

from .conftest import lines

D = Decimal
XSS = "<script>alert(1)</script>"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _quote(deal, actor, *items, discount="0"):
    quote = qs.quote_create(actor=actor, deal=deal, title="Rollout")
    version = quote.versions.get()
    qs.version_save(actor=actor, version=version, lines=lines(*items), discount_percent=D(discount))
    version.refresh_from_db()
    return quote, version


def _editor_post(title="Rollout", lines_data=(), **extra):
    data = {
        "title": title,
        "currency": "EUR",
        "price_book": "",
        "discount_percent": "0",
        "tax_percent": "19",
        "valid_until": "",
        "terms": "Net 30",
        "lines-TOTAL_FORMS": str(len(lines_data)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines_data):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    data.update(extra)
    return data


def test_deal_panel_lists_quotes_with_latest_status_and_total(client, deal, rep_a, seats):
    quote, _version = _quote(deal, rep_a, (seats, "3", "0"))

    response = login(client, rep_a).get(f"/quotes/deals/{deal.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="deal-quotes"' in html
    assert quote.number in html
    assert "€300" in html
    assert 'data-status="draft"' in html
    assert f"/quotes/new?deal={deal.pk}" in html


def test_deal_panel_is_404_for_a_rep_of_another_team(client, deal, rep_b):
    assert login(client, rep_b).get(f"/quotes/deals/{deal.pk}/").status_code == 404


def test_new_quote_form_creates_a_quote_and_opens_the_editor(client, deal, rep_a):
    login(client, rep_a)
    assert client.get(f"/quotes/new?deal={deal.pk}").status_code == 200

    response = client.post(
        f"/quotes/new?deal={deal.pk}", {"title": "Pilot", "currency": "eur", "price_book": ""}
    )

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert (quote.title, quote.versions.get().currency) == ("Pilot", "EUR")


def test_new_quote_in_a_currency_without_rate_shows_the_error(client, deal, rep_a):
    response = login(client, rep_a).post(
        f"/quotes/new?deal={deal.pk}", {"title": "Pilot", "currency": "JPY"}
    )

    assert response.status_code == 400
    assert "No exchange rate for JPY" in response.content.decode()
    assert not Quote.objects.exists()


def test_rep_b_gets_404_for_rep_a_quotes_and_cannot_create(client, deal, rep_a, rep_b, seats):
    quote, version = _quote(deal, rep_a, (seats, "1", "0"))
    login(client, rep_b)

    assert client.get(f"/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/quotes/{quote.pk}/versions/1/pdf").status_code == 404
    assert client.get(f"/quotes/new?deal={deal.pk}").status_code == 404
    assert client.post(f"/quotes/{quote.pk}/versions/1/send").status_code == 404
    response = client.post(f"/quotes/{quote.pk}/versions/1/save", _editor_post(title="Hacked"))
    assert response.status_code == 404
    quote.refresh_from_db()
    version.refresh_from_db()
    assert (quote.title, version.status) == ("Rollout", "draft")


def test_a_marketer_reads_quotes_but_cannot_change_them(client, deal, rep_a, marketer, seats):
    quote, version = _quote(deal, rep_a, (seats, "1", "0"))
    login(client, marketer)

    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Seat licence" in html
    assert 'id="quote-editor"' not in html
    assert client.post(f"/quotes/{quote.pk}/versions/1/send").status_code == 403
    version.refresh_from_db()
    assert version.status == "draft"


def test_editor_saves_lines_and_shows_server_totals(client, deal, rep_a, seats):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="Rollout")
    login(client, rep_a)
    data = _editor_post(
        lines_data=[
            {
                "product": str(seats.pk),
                "name": "",
                "quantity": "4",
                "unit_price": "",
                "discount_percent": "10",
            },
            {
                "product": "",
                "name": "Travel",
                "quantity": "1",
                "unit_price": "250",
                "discount_percent": "",
            },
            {"product": "", "name": "", "quantity": "1", "unit_price": "", "discount_percent": "0"},
        ],
        # The third row is the untouched blank row: it is ignored.
    )
    data["lines-2-quantity"] = "1"

    response = client.post(f"/quotes/{quote.pk}/versions/1/save", data)

    assert response.status_code == 302
    version = quote.versions.get()
    assert [(x.name, x.quantity, x.unit_price) for x in version.lines.all()] == [
        ("Seat licence", D("4"), D("100")),
        ("Travel", D("1"), D("250")),
    ]
    assert (version.subtotal, version.tax_percent, version.total) == (
        D("610.00"),
        D("19"),
        D("725.90"),
    )
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "€725.90" in html


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"name": "X", "quantity": "abc", "unit_price": "1"}, "Enter a number."),
        ({"name": "X", "quantity": "-1", "unit_price": "1"}, "greater than or equal to 0.01"),
        ({"name": "X", "quantity": "1", "unit_price": "-5"}, "greater than or equal to 0"),
        (
            {"name": "X", "quantity": "1", "unit_price": "1", "discount_percent": "150"},
            "less than or equal to 100",
        ),
        ({"name": "", "quantity": "2", "unit_price": "1"}, "Choose a product or name the line."),
        ({"name": "X", "quantity": "1"}, "Line 1: enter a unit price."),
    ],
)
def test_editor_refuses_bad_lines_with_a_message(client, deal, rep_a, seats, line, message):
    quote, version = _quote(deal, rep_a, (seats, "2", "0"))
    line = {"product": "", "discount_percent": "0", **line}

    response = login(client, rep_a).post(
        f"/quotes/{quote.pk}/versions/1/save", _editor_post(lines_data=[line])
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert [x.quantity for x in version.lines.all()] == [D("2")]


def test_editor_refuses_a_malformed_quote_discount(client, deal, rep_a, seats):
    quote, version = _quote(deal, rep_a, (seats, "2", "0"))

    response = login(client, rep_a).post(
        f"/quotes/{quote.pk}/versions/1/save", _editor_post(discount_percent="1e999")
    )

    assert response.status_code == 400
    version.refresh_from_db()
    assert version.discount_percent == D("0")


def test_send_without_approval_is_refused_on_the_page(client, deal, rep_a, seats):
    quote, version = _quote(deal, rep_a, (seats, "10", "30"))

    response = login(client, rep_a).post(f"/quotes/{quote.pk}/versions/1/send")

    assert response.status_code == 400
    assert "request a sales manager" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "draft"


def test_approval_flow_over_http(client, deal, rep_a, manager_a, seats):
    quote, version = _quote(deal, rep_a, (seats, "10", "30"))
    login(client, rep_a)
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert 'id="request-approval"' in html

    assert client.post(f"/quotes/{quote.pk}/versions/1/request-approval").status_code == 302
    approval = QuoteApproval.objects.get()

    # The rep cannot decide, even by posting directly.
    assert (
        client.post(f"/quotes/approvals/{approval.pk}/decide", {"decision": "approve"}).status_code
        == 403
    )
    client.logout()

    login(client, manager_a)
    inbox = client.get("/quotes/approvals/").content.decode()
    assert f'data-approval="{approval.pk}"' in inbox
    response = client.post(
        f"/quotes/approvals/{approval.pk}/decide", {"decision": "approve", "comment": "Fine"}
    )
    assert response.status_code == 302
    approval.refresh_from_db()
    assert (approval.decision, approval.comment) == ("approved", "Fine")
    client.logout()

    login(client, rep_a)
    response = client.post(f"/quotes/{quote.pk}/versions/1/send", {"email_to_contact": ""})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == "sent"


def test_manager_of_another_team_gets_403_and_nothing_changes(client, deal, rep_a, seats, team_b):
    manager_b = make_user("manager_b", "sales_manager", team_b)
    _quote_obj, version = _quote(deal, rep_a, (seats, "10", "30"))
    approval = qs.version_request_approval(actor=rep_a, version=version)
    login(client, manager_b)

    assert f'data-approval="{approval.pk}"' not in client.get("/quotes/approvals/").content.decode()
    response = client.post(f"/quotes/approvals/{approval.pk}/decide", {"decision": "approve"})

    assert response.status_code == 403
    approval.refresh_from_db()
    version.refresh_from_db()
    assert (approval.decision, version.status) == ("pending", "pending_approval")


def test_rejecting_without_comment_is_a_400(client, deal, rep_a, manager_a, seats):
    _quote_obj, version = _quote(deal, rep_a, (seats, "10", "30"))
    approval = qs.version_request_approval(actor=rep_a, version=version)

    response = login(client, manager_a).post(
        f"/quotes/approvals/{approval.pk}/decide", {"decision": "reject", "comment": ""}
    )

    assert response.status_code == 400
    assert "Say why the discount is rejected." in response.content.decode()
    approval.refresh_from_db()
    assert approval.decision == "pending"


def test_revise_and_the_changes_between_versions(client, deal, rep_a, seats, onboarding):
    quote, v1 = _quote(deal, rep_a, (seats, "10", "0"))
    qs.version_send(actor=rep_a, version=v1)
    login(client, rep_a)

    response = client.post(f"/quotes/{quote.pk}/versions/1/revise")

    assert response.status_code == 302
    v2 = QuoteVersion.objects.get(quote=quote, number=2)
    qs.version_save(
        actor=rep_a, version=v2, lines=lines((seats, "12", "5"), (onboarding, "1", "0"))
    )
    html = client.get(f"/quotes/{quote.pk}/?v=2").content.decode()
    assert "Added <strong>Onboarding</strong>" in html
    assert "Quantity 10.00 → 12.00" in html
    assert "Version 1 → version 2" in html


def test_sent_versions_have_no_editor_and_reject_saves(client, deal, rep_a, seats):
    quote, version = _quote(deal, rep_a, (seats, "1", "0"))
    qs.version_send(actor=rep_a, version=version)
    login(client, rep_a)

    assert 'id="quote-editor"' not in client.get(f"/quotes/{quote.pk}/").content.decode()
    response = client.post(f"/quotes/{quote.pk}/versions/1/save", _editor_post(title="Changed"))

    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.title == "Rollout"


def test_quote_title_and_lines_are_escaped(client, deal, rep_a):
    quote = qs.quote_create(actor=rep_a, deal=deal, title=XSS)
    qs.version_save(
        actor=rep_a, version=quote.versions.get(), lines=lines((XSS, "1", "5", "0")), terms=XSS
    )

    html = login(client, rep_a).get(f"/quotes/{quote.pk}/").content.decode()

    assert XSS not in html
    assert "&lt;script&gt;" in html


def test_pdf_for_logged_in_users(client, deal, rep_a, seats):
    quote, _version = _quote(deal, rep_a, (seats, "1", "0"), ("Café – “special” €", "1", "5", "0"))

    response = login(client, rep_a).get(f"/quotes/{quote.pk}/versions/1/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_get_never_changes_state(client, deal, rep_a, seats):
    quote, version = _quote(deal, rep_a, (seats, "1", "0"))
    login(client, rep_a)

    for action in ("send", "revise", "request-approval", "save"):
        assert client.get(f"/quotes/{quote.pk}/versions/1/{action}").status_code == 405

    version.refresh_from_db()
    assert version.status == "draft"


def test_valid_until_in_the_editor(client, deal, rep_a, seats):
    quote, _version = _quote(deal, rep_a, (seats, "1", "0"))
    past = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = login(client, rep_a).post(
        f"/quotes/{quote.pk}/versions/1/save",
        _editor_post(
            valid_until=past,
            lines_data=[{"product": str(seats.pk), "quantity": "1", "discount_percent": "0"}],
        ),
    )

    assert response.status_code == 400
    assert "past day" in response.content.decode()
