"""Quote services: building versions, approvals, sending, revising and accepting."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core.workspace import workspace_get
from revline.quotes import quote_services as qs
from revline.quotes.catalog_services import price_book_create, product_prices_set
from revline.quotes.models import (
    ApprovalDecision,
    Quote,
    QuoteApproval,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from revline.sales.models import Activity, DealStatus
from tests.conftest import make_user

from .conftest import NOW, draft_quote, lines

D = Decimal
LATER = NOW + timedelta(hours=2)


def _approved(version, manager):
    approval = qs.version_request_approval(actor=version.quote.deal.owner, version=version, now=NOW)
    qs.approval_decide(actor=manager, approval=approval, approve=True, now=NOW)
    version.refresh_from_db()
    return version


# --- creating and editing ----------------------------------------------------------------


def test_quote_create_numbers_the_quote_and_opens_an_empty_draft(deal, rep_a):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="  Rollout  ", now=NOW)

    assert quote.number == f"Q-{quote.pk:05d}"
    assert quote.title == "Rollout"
    version = quote.versions.get()
    assert (version.number, version.status, version.currency) == (1, "draft", "EUR")
    assert version.exchange_rate == D("1")
    assert version.created_by == rep_a


def test_quote_in_another_currency_fixes_todays_rate(deal, rep_a, usd_rate):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="US deal", currency="usd", now=NOW)

    version = quote.versions.get()
    assert (version.currency, version.exchange_rate) == ("USD", D("0.9"))


def test_quote_in_a_currency_without_rate_is_refused(deal, rep_a):
    with pytest.raises(ValidationError, match="No exchange rate for GBP"):
        qs.quote_create(actor=rep_a, deal=deal, title="UK", currency="GBP", now=NOW)

    assert not Quote.objects.exists()


def test_a_rep_of_another_team_cannot_quote_the_deal(deal, rep_b):
    with pytest.raises(PermissionDenied):
        qs.quote_create(actor=rep_b, deal=deal, title="Mine now", now=NOW)

    assert not Quote.objects.exists()


def test_version_save_computes_and_stores_the_totals(deal, rep_a, seats, onboarding):
    _quote, version = draft_quote(
        deal,
        (seats, "10", "10"),
        ("Travel", "1", "333.33", "0"),
        discount="5",
        tax="19",
        actor=rep_a,
    )

    assert [(x.name, x.unit_price, x.line_total, x.billing) for x in version.lines.all()] == [
        ("Seat licence", D("100.00"), D("900.00"), "yearly"),
        ("Travel", D("333.33"), D("333.33"), "one_off"),
    ]
    assert version.list_total == D("1333.33")
    assert version.subtotal == D("1233.33")
    assert version.discount_amount == D("61.67")  # 61.6665 half up
    assert version.tax_amount == D("222.62")  # 1171.66 x 19 % = 222.6154
    assert version.total == D("1394.28")
    assert version.effective_discount_percent == D("12.13")


def test_unit_price_comes_from_price_book_then_product_price_then_converted_list(
    deal, rep_a, seats, onboarding, usd_rate, manager_a
):
    book = price_book_create(
        actor=manager_a, name="US partners", currency="USD", entries={seats: D("95")}
    )
    product_prices_set(actor=manager_a, product=onboarding, prices={"USD": D("2800")})
    extra = qs.quote_create(actor=rep_a, deal=deal, title="US", currency="USD", now=NOW)
    version = extra.versions.get()
    from revline.quotes.services import product_create

    training = product_create(
        actor=None, name="Training", sku="TRN", price=D("900"), currency="EUR"
    )

    qs.version_save(
        actor=rep_a,
        version=version,
        currency="USD",
        price_book=book,
        lines=lines((seats, "1", "0"), (onboarding, "1", "0"), (training, "1", "0")),
        now=NOW,
    )

    assert [x.unit_price for x in version.lines.all()] == [D("95"), D("2800"), D("1000.00")]


def test_a_price_book_in_another_currency_is_refused(deal, rep_a, seats, manager_a):
    book = price_book_create(actor=manager_a, name="UK", currency="GBP")
    _quote, version = draft_quote(deal, (seats, "1", "0"))

    with pytest.raises(ValidationError, match="This price book is in GBP"):
        qs.version_save(actor=rep_a, version=version, price_book=book, lines=[], now=NOW)

    version.refresh_from_db()
    assert version.price_book is None
    assert version.lines.count() == 1


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (("Seats", "0", "10", "0"), "Line 1: The quantity must be more than 0."),
        (("Seats", "-3", "10", "0"), "Line 1: The quantity must be more than 0."),
        (("Seats", "1000001", "10", "0"), "Line 1: The quantity is at most 1,000,000."),
        (("Seats", "1", "-10", "0"), "Line 1: The unit price cannot be negative."),
        (("Seats", "1", "10000000001", "0"), "Line 1: The unit price is at most"),
        (("Seats", "1", "10", "101"), "Line 1: The discount is at most 100."),
        (("Seats", "1", "10", "-1"), "Line 1: The discount cannot be negative."),
        (("", "1", "10", "0"), "Line 1: choose a product or name the line."),
    ],
)
def test_bad_lines_are_refused_and_change_nothing(deal, rep_a, seats, item, message):
    _quote, version = draft_quote(deal, (seats, "2", "0"))

    with pytest.raises(ValidationError, match=message):
        qs.version_save(actor=rep_a, version=version, lines=lines(item), now=NOW)

    version.refresh_from_db()
    assert version.total == D("200.00")
    assert [x.quantity for x in version.lines.all()] == [D("2")]


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("discount_percent", {"discount_percent": D("120")}, "The quote discount is at most 100."),
        ("tax_percent", {"tax_percent": D("-1")}, "The tax cannot be negative."),
        ("valid_until", {"valid_until": date(2025, 3, 2)}, "past day"),
    ],
)
def test_bad_quote_values_are_refused(deal, rep_a, seats, field, kwargs, message):
    _quote, version = draft_quote(deal, (seats, "1", "0"))

    with pytest.raises(ValidationError, match=message) as exc:
        qs.version_save(actor=rep_a, version=version, lines=[], now=NOW, **kwargs)

    assert field in exc.value.error_dict
    assert version.lines.count() == 1


def test_a_total_too_large_to_store_is_refused(deal, rep_a):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="Huge", now=NOW)
    version = quote.versions.get()

    with pytest.raises(ValidationError, match="too large"):
        qs.version_save(
            actor=rep_a,
            version=version,
            lines=lines(("A", "1000000", "10000000000", "0")),
            now=NOW,
        )

    assert not QuoteLine.objects.exists()


def test_a_rep_of_another_team_cannot_edit_the_draft(deal, rep_b, seats):
    _quote, version = draft_quote(deal, (seats, "1", "0"))

    with pytest.raises(PermissionDenied):
        qs.version_save(actor=rep_b, version=version, lines=lines((seats, "9", "0")), now=NOW)

    assert [x.quantity for x in version.lines.all()] == [D("1")]


# --- approvals -----------------------------------------------------------------------------


def test_a_big_discount_cannot_be_sent_without_approval(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "20"))  # 20 % > 15 % threshold

    with pytest.raises(ValidationError, match="request a sales manager's approval first"):
        qs.version_send(actor=rep_a, version=version, now=NOW)

    version.refresh_from_db()
    assert (version.status, version.public_token, version.sent_at) == ("draft", None, None)


def test_the_threshold_is_the_workspace_setting(deal, rep_a, seats):
    workspace = workspace_get()
    workspace.quote_approval_discount = D("25")
    workspace.save()
    _quote, version = draft_quote(deal, (seats, "10", "20"))

    qs.version_send(actor=rep_a, version=version, now=NOW)

    version.refresh_from_db()
    assert version.status == "sent"


def test_request_approval_then_manager_approves_then_rep_sends(deal, rep_a, manager_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "20"))

    approval = qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    version.refresh_from_db()
    assert version.status == QuoteStatus.PENDING_APPROVAL
    assert (approval.requested_by, approval.decision) == (rep_a, "pending")

    qs.approval_decide(actor=manager_a, approval=approval, approve=True, comment="OK", now=LATER)

    approval.refresh_from_db()
    version.refresh_from_db()
    assert (approval.decision, approval.decided_by, approval.decided_at) == (
        "approved",
        manager_a,
        LATER,
    )
    assert version.status == QuoteStatus.APPROVED

    qs.version_send(actor=rep_a, version=version, now=LATER)

    version.refresh_from_db()
    assert version.status == QuoteStatus.SENT


def test_a_small_discount_needs_no_approval_request(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "15"))  # exactly the threshold

    with pytest.raises(ValidationError, match="needs no approval"):
        qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    assert not QuoteApproval.objects.exists()


@pytest.mark.parametrize("who", ["rep_a", "rep_b", "manager_b"])
def test_reps_and_managers_of_other_teams_cannot_approve(deal, rep_a, seats, team_b, who, request):
    users = {"rep_a": rep_a, "rep_b": request.getfixturevalue("rep_b")}
    users["manager_b"] = make_user("manager_b", "sales_manager", team_b)
    _quote, version = draft_quote(deal, (seats, "10", "20"))
    approval = qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    with pytest.raises(PermissionDenied):
        qs.approval_decide(actor=users[who], approval=approval, approve=True, now=NOW)

    approval.refresh_from_db()
    version.refresh_from_db()
    assert (approval.decision, approval.decided_by) == ("pending", None)
    assert version.status == "pending_approval"


def test_an_admin_may_approve_any_team(deal, rep_a, admin_user, seats):
    _quote, version = draft_quote(deal, (seats, "10", "20"))
    approval = qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    qs.approval_decide(actor=admin_user, approval=approval, approve=True, now=NOW)

    version.refresh_from_db()
    assert version.status == "approved"


def test_a_rejection_needs_a_comment_and_then_must_be_revised(deal, rep_a, manager_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "40"))
    approval = qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    with pytest.raises(ValidationError, match="Say why"):
        qs.approval_decide(actor=manager_a, approval=approval, approve=False, comment=" ")
    approval.refresh_from_db()
    assert approval.decision == ApprovalDecision.PENDING

    qs.approval_decide(actor=manager_a, approval=approval, approve=False, comment="Max 25 %")
    version.refresh_from_db()
    assert version.status == "rejected"

    with pytest.raises(ValidationError, match="cannot be sent"):
        qs.version_send(actor=rep_a, version=version, now=NOW)
    with pytest.raises(ValidationError, match="cannot be changed"):
        qs.version_save(actor=rep_a, version=version, lines=[], now=NOW)

    revised = qs.version_revise(actor=rep_a, version=version, now=NOW)
    assert (revised.number, revised.status) == (2, "draft")


def test_a_decided_request_cannot_be_decided_again(deal, rep_a, manager_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "20"))
    approval = qs.version_request_approval(actor=rep_a, version=version, now=NOW)
    qs.approval_decide(actor=manager_a, approval=approval, approve=True, now=NOW)

    with pytest.raises(ValidationError, match="no longer waiting"):
        qs.approval_decide(actor=manager_a, approval=approval, approve=False, comment="No")

    version.refresh_from_db()
    assert version.status == "approved"


def test_a_pending_version_cannot_be_edited(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "10", "20"))
    qs.version_request_approval(actor=rep_a, version=version, now=NOW)

    with pytest.raises(ValidationError, match="cannot be changed any more"):
        qs.version_save(actor=rep_a, version=version, lines=lines((seats, "1", "0")), now=NOW)

    assert [x.quantity for x in version.lines.all()] == [D("10")]


# --- sending ---------------------------------------------------------------------------------


def test_send_sets_status_time_and_an_unguessable_token(deal, rep_a, seats):
    quote, version = draft_quote(deal, (seats, "3", "0"))

    qs.version_send(actor=rep_a, version=version, now=NOW)

    version.refresh_from_db()
    assert (version.status, version.sent_at) == ("sent", NOW)
    assert len(version.public_token) == 43  # token_urlsafe(32)
    activity = Activity.objects.get(deal=deal)
    assert activity.subject == f"Quote {quote.number} v1 sent"


def test_send_emails_the_link_to_the_contact(
    deal, rep_a, seats, django_capture_on_commit_callbacks
):
    _quote, version = draft_quote(deal, (seats, "3", "0"))

    with django_capture_on_commit_callbacks(execute=True):
        qs.version_send(
            actor=rep_a,
            version=version,
            email_to_contact=True,
            site_url="https://crm.example/",
            now=NOW,
        )

    version.refresh_from_db()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@acme.example"]
    assert f"https://crm.example/q/{version.public_token}" in message.body
    assert "300.00 EUR" in message.body


def test_a_quote_without_lines_is_not_sent(deal, rep_a):
    quote = qs.quote_create(actor=rep_a, deal=deal, title="Empty", now=NOW)

    with pytest.raises(ValidationError, match="at least one line"):
        qs.version_send(actor=rep_a, version=quote.versions.get(), now=NOW)


def test_sending_a_revision_supersedes_the_older_versions(deal, rep_a, seats):
    _quote, v1 = draft_quote(deal, (seats, "3", "0"))
    qs.version_send(actor=rep_a, version=v1, now=NOW)
    v2 = qs.version_revise(actor=rep_a, version=v1, now=NOW)

    assert [x.quantity for x in v2.lines.all()] == [D("3")]
    v1.refresh_from_db()
    assert v1.status == "sent"  # still valid until the revision is sent

    qs.version_save(actor=rep_a, version=v2, lines=lines((seats, "5", "5")), now=NOW)
    qs.version_send(actor=rep_a, version=v2, now=LATER)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("superseded", "sent")
    assert v1.public_token != v2.public_token


def test_only_the_latest_version_is_revised(deal, rep_a, seats):
    quote, v1 = draft_quote(deal, (seats, "3", "0"))
    qs.version_send(actor=rep_a, version=v1, now=NOW)
    qs.version_revise(actor=rep_a, version=v1, now=NOW)

    with pytest.raises(ValidationError, match="Only the latest version"):
        qs.version_revise(actor=rep_a, version=v1, now=NOW)

    assert QuoteVersion.objects.filter(quote=quote).count() == 2


def test_a_draft_is_edited_not_revised(deal, rep_a, seats):
    _quote, v1 = draft_quote(deal, (seats, "3", "0"))

    with pytest.raises(ValidationError, match="still a draft"):
        qs.version_revise(actor=rep_a, version=v1, now=NOW)


def test_an_expired_draft_is_not_sent(deal, rep_a, seats):
    _quote, version = draft_quote(deal, (seats, "1", "0"), valid_until=date(2025, 3, 10))

    with pytest.raises(ValidationError, match="expired"):
        qs.version_send(actor=rep_a, version=version, now=NOW + timedelta(days=10))

    version.refresh_from_db()
    assert version.status == "draft"


# --- accepting -------------------------------------------------------------------------------


def _sent(deal, rep_a, seats, **kwargs):
    quote, version = draft_quote(deal, (seats, "3", "0"), **kwargs)
    qs.version_send(actor=rep_a, version=version, now=NOW)
    version.refresh_from_db()
    return quote, version


def test_accept_records_who_when_where_and_moves_the_deal_forward(deal, rep_a, seats):
    quote, version = _sent(deal, rep_a, seats)

    qs.version_accept(
        version=version, name=" Ada  Lovelace ", agreed=True, ip="203.0.113.7", now=LATER
    )

    version.refresh_from_db()
    deal.refresh_from_db()
    assert (version.status, version.accepted_at, version.accepted_ip, version.accepted_name) == (
        "accepted",
        LATER,
        "203.0.113.7",
        "Ada Lovelace",
    )
    assert deal.stage.name == "Negotiation"
    assert deal.status == DealStatus.OPEN
    activity = Activity.objects.filter(deal=deal).first()
    assert activity.subject == f"Quote {quote.number} v1 accepted by Ada Lovelace"
    kinds = list(deal.contact.events.filter(deal=deal).values_list("kind", flat=True))
    assert "deal_stage_changed" in kinds and "activity" in kinds


def test_accepting_twice_is_refused(deal, rep_a, seats):
    _quote, version = _sent(deal, rep_a, seats)
    qs.version_accept(version=version, name="Ada", agreed=True, ip="203.0.113.7", now=LATER)

    with pytest.raises(ValidationError, match="already accepted"):
        qs.version_accept(version=version, name="Eve", agreed=True, ip="198.51.100.1", now=LATER)

    version.refresh_from_db()
    assert (version.accepted_name, version.accepted_ip) == ("Ada", "203.0.113.7")


def test_accepting_a_superseded_version_is_refused(deal, rep_a, seats):
    _quote, v1 = _sent(deal, rep_a, seats)
    v2 = qs.version_revise(actor=rep_a, version=v1, now=NOW)
    qs.version_send(actor=rep_a, version=v2, now=NOW)
    v1.refresh_from_db()

    with pytest.raises(ValidationError, match="replaced by a newer one"):
        qs.version_accept(version=v1, name="Ada", agreed=True, ip="203.0.113.7", now=LATER)

    v1.refresh_from_db()
    assert (v1.status, v1.accepted_at) == ("superseded", None)


def test_accepting_an_expired_quote_is_refused(deal, rep_a, seats):
    _quote, version = _sent(deal, rep_a, seats, valid_until=date(2025, 3, 10))

    with pytest.raises(ValidationError, match="expired"):
        qs.version_accept(
            version=version, name="Ada", agreed=True, ip=None, now=NOW + timedelta(days=8)
        )

    version.refresh_from_db()
    assert version.status == "sent"
    deal.refresh_from_db()
    assert deal.stage.name == "Qualification"


@pytest.mark.parametrize(
    ("name", "agreed", "message"), [("", True, "full name"), ("Ada", False, "Tick the box")]
)
def test_accepting_needs_a_name_and_the_tick(deal, rep_a, seats, name, agreed, message):
    _quote, version = _sent(deal, rep_a, seats)

    with pytest.raises(ValidationError, match=message):
        qs.version_accept(version=version, name=name, agreed=agreed, ip=None, now=LATER)

    version.refresh_from_db()
    assert version.status == "sent"


def test_an_accepted_quote_cannot_be_revised_or_resent(deal, rep_a, seats):
    quote, version = _sent(deal, rep_a, seats)
    qs.version_accept(version=version, name="Ada", agreed=True, ip=None, now=LATER)

    with pytest.raises(ValidationError, match="accepted"):
        qs.version_revise(actor=rep_a, version=version, now=LATER)

    assert quote.versions.count() == 1


def test_a_deal_further_than_the_last_open_stage_is_not_moved_back(deal, rep_a, seats, pipeline):
    from revline.sales.services import deal_close_won

    _quote, version = _sent(deal, rep_a, seats)
    deal_close_won(actor=rep_a, deal=deal, reason=None, note="Signed", at=NOW)

    qs.version_accept(version=version, name="Ada", agreed=True, ip=None, now=LATER)

    deal.refresh_from_db()
    assert (deal.status, deal.stage.name) == ("won", "Won")
