"""The buyer's page /q/<token>: no login, view, PDF, accept once; tampered/expired/old refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.quotes import quote_services as qs
from revline.quotes.models import QuoteVersion

from .conftest import lines

D = Decimal
XSS = "<script>alert(1)</script>"


def _sent(deal, actor, *items, valid_until=None, title="Rollout", terms=""):
    quote = qs.quote_create(actor=actor, deal=deal, title=title)
    version = quote.versions.get()
    qs.version_save(
        actor=actor, version=version, lines=lines(*items), valid_until=valid_until, terms=terms
    )
    qs.version_send(actor=actor, version=version)
    version.refresh_from_db()
    return quote, version


@pytest.fixture
def sent(deal, rep_a, seats):
    return _sent(
        deal, rep_a, (seats, "3", "10"), valid_until=timezone.localdate() + timedelta(days=30)
    )


def test_the_buyer_sees_lines_totals_and_the_accept_form_without_login(client, sent):
    _quote, version = sent

    response = client.get(f"/q/{version.public_token}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Seat licence" in html
    assert 'id="public-total">€270' in html
    assert 'id="accept-form"' in html
    assert "csrfmiddlewaretoken" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_unknown_or_tampered_tokens_show_nothing(client, sent, token):
    _quote, _version = sent

    response = client.get(f"/q/{token}")

    assert response.status_code == 404
    assert "Seat licence" not in response.content.decode()
    assert client.post(f"/q/{token}", {"name": "Eve", "agree": "on"}).status_code == 404


def test_a_slightly_altered_token_is_unknown(client, sent):
    _quote, version = sent
    token = version.public_token
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(f"/q/{altered}").status_code == 404


def test_accepting_records_name_time_ip_and_moves_the_deal(client, sent, deal):
    _quote, version = sent

    response = client.post(
        f"/q/{version.public_token}",
        {"name": "Ada Lovelace", "agree": "on"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    version.refresh_from_db()
    deal.refresh_from_db()
    assert (version.status, version.accepted_name, version.accepted_ip) == (
        "accepted",
        "Ada Lovelace",
        "203.0.113.9",
    )
    assert version.accepted_at is not None
    assert deal.stage.name == "Negotiation"
    html = client.get(f"/q/{version.public_token}").content.decode()
    assert "Accepted by Ada Lovelace" in html
    assert 'id="accept-form"' not in html


def test_accepting_twice_is_refused(client, sent):
    _quote, version = sent
    client.post(f"/q/{version.public_token}", {"name": "Ada", "agree": "on"})

    response = client.post(f"/q/{version.public_token}", {"name": "Eve", "agree": "on"})

    assert response.status_code == 400
    assert "already accepted" in response.content.decode()
    version.refresh_from_db()
    assert version.accepted_name == "Ada"


def test_accepting_without_the_tick_is_refused(client, sent):
    _quote, version = sent

    response = client.post(f"/q/{version.public_token}", {"name": "Ada"})

    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "sent"


def test_an_expired_quote_shows_expired_and_cannot_be_accepted(client, deal, rep_a, seats):
    _quote, version = _sent(deal, rep_a, (seats, "1", "0"), valid_until=timezone.localdate())
    QuoteVersion.objects.filter(pk=version.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )

    html = client.get(f"/q/{version.public_token}").content.decode()

    assert "This quote has expired" in html
    assert 'id="accept-form"' not in html
    assert "Seat licence" not in html
    response = client.post(f"/q/{version.public_token}", {"name": "Ada", "agree": "on"})
    assert response.status_code == 400
    version.refresh_from_db()
    assert version.status == "sent"
    assert client.get(f"/q/{version.public_token}/pdf").status_code == 404


def test_an_old_version_after_a_newer_one_was_sent_cannot_be_accepted(client, sent, rep_a):
    _quote, v1 = sent
    v2 = qs.version_revise(actor=rep_a, version=v1)
    qs.version_send(actor=rep_a, version=v2)

    html = client.get(f"/q/{v1.public_token}").content.decode()
    assert "This version was replaced" in html
    response = client.post(f"/q/{v1.public_token}", {"name": "Ada", "agree": "on"})

    assert response.status_code == 400
    v1.refresh_from_db()
    assert (v1.status, v1.accepted_at) == ("superseded", None)


def test_drafts_have_no_public_page(client, deal, rep_a, seats):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="Draft")
    version = quote.versions.get()
    # Even if a token were somehow set on a draft, the page stays closed.
    QuoteVersion.objects.filter(pk=version.pk).update(public_token="draft-token")

    assert client.get("/q/draft-token").status_code == 404


def test_public_pdf_downloads(client, sent):
    quote, version = sent

    response = client.get(f"/q/{version.public_token}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}-v1.pdf"'
    assert response.content.startswith(b"%PDF")


def test_buyer_page_escapes_everything(client, deal, rep_a):
    _quote, version = _sent(deal, rep_a, (XSS, "1", "5", "0"), title=XSS, terms=XSS)

    html = client.get(f"/q/{version.public_token}").content.decode()

    assert XSS not in html
    assert "&lt;script&gt;" in html


def test_the_public_page_is_rate_limited(client, sent, settings):
    _quote, version = sent
    settings.REVLINE_PUBLIC_RATE_LIMIT = 3

    codes = [client.get(f"/q/{version.public_token}").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_csrf_is_enforced_on_accept(sent):
    from django.test import Client

    _quote, version = sent
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(f"/q/{version.public_token}", {"name": "Ada", "agree": "on"})

    assert response.status_code == 403
    version.refresh_from_db()
    assert version.status == "sent"
