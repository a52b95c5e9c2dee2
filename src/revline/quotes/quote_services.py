"""Quote writes: create, edit a draft, revise, request/decide approval, send, accept.

A version leaves DRAFT only forwards (pending approval → approved/rejected → sent → accepted or
superseded) and is never edited afterwards: a change in negotiation is a new version.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import money, permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.sales.models import ActivityKind, Deal, DealStatus, Stage, StageKind
from revline.sales.services import activity_log, deal_amount_base, deal_move_stage
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from . import pricing
from .models import (
    ApprovalDecision,
    Billing,
    PriceBook,
    Product,
    Quote,
    QuoteApproval,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from .services import CURRENCY_PATTERN

EDIT_DENIED = "You can only change quotes on deals of your own team."
APPROVE_DENIED = "Only a sales manager of the deal owner's team, or an admin, approves this quote."
# Statuses a newer sent version replaces.
REPLACEABLE = [
    QuoteStatus.DRAFT,
    QuoteStatus.PENDING_APPROVAL,
    QuoteStatus.APPROVED,
    QuoteStatus.REJECTED,
    QuoteStatus.SENT,
]


@dataclass(frozen=True)
class LineInput:
    """One line as entered. A blank name or unit price is filled from the product."""

    quantity: Decimal
    product: Product | None = None
    name: str = ""
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal("0")
    description: str = ""


def _require_edit(actor: User | None, deal: Deal) -> None:
    if actor is not None:
        permissions.require(permissions.can_edit_deal(actor, deal), EDIT_DENIED)


def _rate(currency: str, on: date) -> Decimal:
    rate = money.rate_to_base(currency, on=on)
    if rate is None:
        raise ValidationError(
            {
                "currency": f"No exchange rate for {currency} is stored yet; "
                "add one on the Exchange rates page first."
            }
        )
    return rate


def _clean_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if not CURRENCY_PATTERN.match(code):
        raise ValidationError({"currency": "Use a three-letter ISO code such as EUR."})
    return code


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "Give the quote a title."})
    if len(title) > 200:
        raise ValidationError({"title": "The title is at most 200 characters long."})
    return title


@transaction.atomic
def quote_create(
    *,
    actor: User | None,
    deal: Deal,
    title: str,
    currency: str = "",
    price_book: PriceBook | None = None,
    now: datetime | None = None,
) -> Quote:
    """A quote with an empty draft version 1, at the exchange rate valid today."""
    _require_edit(actor, deal)
    now = now or timezone.now()
    if deal.status != DealStatus.OPEN:
        raise ValidationError("This deal is closed; reopen it to quote again.")
    title = _clean_title(title)
    currency = _clean_currency(currency or deal.currency)
    _check_price_book(price_book, currency)
    rate = _rate(currency, now.date())
    quote = Quote.objects.create(
        deal=deal,
        number=f"tmp-{secrets.token_hex(8)}",
        title=title,
        created_by=actor,
        created_at=now,
    )
    quote.number = f"Q-{quote.pk:05d}"
    quote.save(update_fields=["number"])
    audit_create(actor=actor, obj=quote)
    QuoteVersion.objects.create(
        quote=quote,
        number=1,
        currency=currency,
        exchange_rate=rate,
        price_book=price_book,
        created_by=actor,
        created_at=now,
        valid_until=None,
    )
    return quote


@transaction.atomic
def quote_create_filled(
    *,
    actor: User | None,
    deal: Deal,
    title: str,
    currency: str = "",
    price_book: PriceBook | None = None,
    lines: list[LineInput],
    discount_percent: Decimal = Decimal("0"),
    tax_percent: Decimal = Decimal("0"),
    terms: str = "",
    valid_until: date | None = None,
    now: datetime | None = None,
) -> Quote:
    """quote_create and version 1 saved with these lines and terms, all or nothing."""
    now = now or timezone.now()
    quote = quote_create(
        actor=actor, deal=deal, title=title, currency=currency, price_book=price_book, now=now
    )
    version_save(
        actor=actor,
        version=quote.versions.get(number=1),
        lines=lines,
        price_book=price_book,
        discount_percent=discount_percent,
        tax_percent=tax_percent,
        terms=terms,
        valid_until=valid_until,
        now=now,
    )
    return quote


def _check_price_book(price_book: PriceBook | None, currency: str) -> None:
    if price_book is not None and price_book.currency != currency:
        raise ValidationError(
            {"price_book": f"This price book is in {price_book.currency}; the quote in {currency}."}
        )


def _locked(version: QuoteVersion) -> QuoteVersion:
    return (
        QuoteVersion.objects.select_for_update(of=("self",))
        .select_related("quote__deal")
        .get(pk=version.pk)
    )


def _resolved_lines(
    lines: list[LineInput], *, currency: str, price_book: PriceBook | None, on: date
) -> list[QuoteLine]:
    from .quote_selectors import unit_price_for

    if len(lines) > pricing.MAX_LINES:
        raise ValidationError({"lines": f"A quote has at most {pricing.MAX_LINES} lines."})
    resolved = []
    for position, line in enumerate(lines, start=1):
        name = " ".join(line.name.split()) or (line.product.name if line.product else "")
        if not name:
            raise ValidationError({"lines": f"Line {position}: choose a product or name the line."})
        if len(name) > 200:
            raise ValidationError(
                {"lines": f"Line {position}: the name is at most 200 characters."}
            )
        unit_price = line.unit_price
        if unit_price is None and line.product is not None:
            unit_price = unit_price_for(
                line.product, currency=currency, price_book=price_book, on=on
            )
            if unit_price is None:
                raise ValidationError(
                    {
                        "lines": f"Line {position}: {line.product.name} has no price in {currency};"
                        " enter a unit price."
                    }
                )
        if unit_price is None:
            raise ValidationError({"lines": f"Line {position}: enter a unit price."})
        amounts = pricing.LineAmounts(line.quantity, unit_price, line.discount_percent)
        errors = pricing.line_errors(amounts)
        if errors:
            raise ValidationError({"lines": f"Line {position}: {next(iter(errors.values()))}"})
        resolved.append(
            QuoteLine(
                product=line.product,
                name=name,
                description=line.description.strip(),
                billing=line.product.billing if line.product else Billing.ONE_OFF,
                quantity=line.quantity,
                unit_price=unit_price,
                discount_percent=line.discount_percent,
                line_total=pricing.line_total(line.quantity, unit_price, line.discount_percent),
                position=position,
            )
        )
    return resolved


def _totals_apply(version: QuoteVersion, lines: list[QuoteLine]) -> None:
    totals = pricing.quote_totals(
        [pricing.LineAmounts(x.quantity, x.unit_price, x.discount_percent) for x in lines],
        discount_percent=version.discount_percent,
        tax_percent=version.tax_percent,
    )
    if message := pricing.totals_error(totals):
        raise ValidationError({"lines": message})
    version.list_total = totals.list_total
    version.subtotal = totals.subtotal
    version.discount_amount = totals.discount_amount
    version.tax_amount = totals.tax_amount
    version.total = totals.total
    version.effective_discount_percent = totals.effective_discount_percent


@transaction.atomic
def version_save(
    *,
    actor: User | None,
    version: QuoteVersion,
    lines: list[LineInput],
    title: str | None = None,
    currency: str | None = None,
    price_book: PriceBook | None = None,
    discount_percent: Decimal = Decimal("0"),
    tax_percent: Decimal = Decimal("0"),
    terms: str = "",
    valid_until: date | None = None,
    now: datetime | None = None,
) -> QuoteVersion:
    """Replace a draft's content and store its totals (computed by quotes.pricing).

    Only drafts change; the exchange rate is fixed again only when the currency changes.
    """
    version = _locked(version)
    quote = version.quote
    _require_edit(actor, quote.deal)
    now = now or timezone.now()
    if version.status != QuoteStatus.DRAFT:
        raise ValidationError(
            f"Version {version.number} is {version.get_status_display().lower()} and cannot be "
            "changed any more; revise it to make a new version."
        )
    currency = _clean_currency(currency or version.currency)
    _check_price_book(price_book, currency)
    for label, percent, field in (
        ("quote discount", discount_percent, "discount_percent"),
        ("tax", tax_percent, "tax_percent"),
    ):
        if message := pricing.percent_error(percent, label=label):
            raise ValidationError({field: message})
    if valid_until is not None and valid_until < now.date():
        raise ValidationError({"valid_until": "The quote cannot be valid only until a past day."})
    if len(terms) > 10_000:
        raise ValidationError({"terms": "The terms are at most 10,000 characters long."})
    before, old_lines = snapshot(version), _line_texts(version.lines.all())
    if currency != version.currency:
        version.exchange_rate = _rate(currency, now.date())
        version.currency = currency
    version.price_book = price_book
    version.discount_percent = discount_percent
    version.tax_percent = tax_percent
    version.terms = terms.strip()
    version.valid_until = valid_until
    resolved = _resolved_lines(lines, currency=currency, price_book=price_book, on=now.date())
    _totals_apply(version, resolved)
    version.full_clean(exclude=["quote", "created_by", "price_book"])
    version.save()
    version.lines.all().delete()
    for line in resolved:
        line.version = version
    QuoteLine.objects.bulk_create(resolved)
    new_lines = _line_texts(resolved)
    extra = {"lines": [old_lines, new_lines]} if old_lines != new_lines else {}
    audit_update(actor=actor, obj=version, before=before, extra=extra)
    if title is not None:
        quote_before = snapshot(quote, fields=["title"])
        quote.title = _clean_title(title)
        quote.save(update_fields=["title"])
        audit_update(actor=actor, obj=quote, before=quote_before)
    return version


def _line_texts(lines: Any) -> list[str]:
    """Lines as short readable strings for the audit log."""
    return [
        f"{line.name}: {line.quantity:.2f} × {line.unit_price:.2f} −{line.discount_percent:.2f}%"
        for line in lines
    ]


@transaction.atomic
def quote_delete(*, actor: User, quote: Quote) -> None:
    """Delete a quote none of whose versions was ever sent: what a buyer saw stays on record."""
    quote = (
        Quote.objects.select_for_update(of=("self",)).select_related("deal__owner").get(pk=quote.pk)
    )
    _require_edit(actor, quote.deal)
    if QuoteVersion.objects.filter(quote=quote, sent_at__isnull=False).exists():
        raise ValidationError("This quote was sent to the buyer; it stays on record.")
    audit_delete(actor=actor, obj=quote)
    quote.delete()


def version_needs_approval(version: QuoteVersion) -> bool:
    threshold = workspace_get().quote_approval_discount
    return pricing.needs_approval(version.effective_discount_percent, threshold)


def _latest_number(quote: Quote) -> int:
    return (
        QuoteVersion.objects.filter(quote=quote)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    )


def _accepted(quote: Quote) -> bool:
    return QuoteVersion.objects.filter(quote=quote, status=QuoteStatus.ACCEPTED).exists()


@transaction.atomic
def version_revise(
    *, actor: User | None, version: QuoteVersion, now: datetime | None = None
) -> QuoteVersion:
    """A new draft version n+1, a copy of the latest version, at today's exchange rate."""
    version = _locked(version)
    quote = version.quote
    _require_edit(actor, quote.deal)
    now = now or timezone.now()
    if _accepted(quote):
        raise ValidationError("This quote was accepted; it cannot be revised.")
    if version.number != _latest_number(quote):
        raise ValidationError("Only the latest version can be revised.")
    if version.status == QuoteStatus.DRAFT:
        raise ValidationError(f"Version {version.number} is still a draft; edit it directly.")
    rate = money.rate_to_base(version.currency, on=now.date()) or version.exchange_rate
    new = QuoteVersion.objects.create(
        quote=quote,
        number=version.number + 1,
        status=QuoteStatus.DRAFT,
        currency=version.currency,
        exchange_rate=rate,
        price_book=version.price_book,
        discount_percent=version.discount_percent,
        tax_percent=version.tax_percent,
        terms=version.terms,
        valid_until=version.valid_until,
        list_total=version.list_total,
        subtotal=version.subtotal,
        discount_amount=version.discount_amount,
        tax_amount=version.tax_amount,
        total=version.total,
        effective_discount_percent=version.effective_discount_percent,
        created_by=actor,
        created_at=now,
    )
    audit_create(actor=actor, obj=new)
    QuoteLine.objects.bulk_create(
        [
            QuoteLine(
                version=new,
                product=line.product,
                name=line.name,
                description=line.description,
                billing=line.billing,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                line_total=line.line_total,
                position=line.position,
            )
            for line in version.lines.all()
        ]
    )
    return new


def _require_lines(version: QuoteVersion) -> None:
    if not version.lines.exists():
        raise ValidationError("Add at least one line first.")


@transaction.atomic
def version_request_approval(
    *, actor: User | None, version: QuoteVersion, now: datetime | None = None
) -> QuoteApproval:
    """Ask a sales manager to approve a draft whose discount exceeds the workspace threshold."""
    version = _locked(version)
    _require_edit(actor, version.quote.deal)
    if version.status != QuoteStatus.DRAFT:
        raise ValidationError(
            f"Only a draft can be sent for approval; this one is "
            f"{version.get_status_display().lower()}."
        )
    _require_lines(version)
    if not version_needs_approval(version):
        raise ValidationError("This discount needs no approval; send the quote.")
    before = snapshot(version, fields=["status"])
    version.status = QuoteStatus.PENDING_APPROVAL
    version.save(update_fields=["status"])
    audit_update(actor=actor, obj=version, before=before)
    approval = QuoteApproval.objects.create(
        version=version, requested_by=actor, requested_at=now or timezone.now()
    )
    audit_create(actor=actor, obj=approval)
    return approval


@transaction.atomic
def approval_decide(
    *,
    actor: User,
    approval: QuoteApproval,
    approve: bool,
    comment: str = "",
    now: datetime | None = None,
) -> QuoteApproval:
    """Approve or reject a pending request. Rejections say why (the comment is required)."""
    approval = (
        # Lock the request alone: PostgreSQL refuses FOR UPDATE on the outer join to the owner.
        QuoteApproval.objects.select_for_update(of=("self",))
        .select_related("version__quote__deal__owner")
        .get(pk=approval.pk)
    )
    version = approval.version
    permissions.require(
        permissions.can_approve_quote(actor, version.quote.deal.owner), APPROVE_DENIED
    )
    if approval.decision != ApprovalDecision.PENDING or (
        version.status != QuoteStatus.PENDING_APPROVAL
    ):
        raise ValidationError("This request is no longer waiting for a decision.")
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": "Say why the discount is rejected."})
    if len(comment) > 2000:
        raise ValidationError({"comment": "The comment is at most 2,000 characters long."})
    before = snapshot(approval)
    approval.decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.REJECTED
    approval.decided_by = actor
    approval.decided_at = now or timezone.now()
    approval.comment = comment
    approval.save()
    audit_update(actor=actor, obj=approval, before=before)
    version_before = snapshot(version, fields=["status"])
    version.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
    version.save(update_fields=["status"])
    audit_update(actor=actor, obj=version, before=version_before)
    return approval


def public_path(version: QuoteVersion) -> str:
    assert version.public_token
    return reverse("quotes:public_quote", args=[version.public_token])


@transaction.atomic
def version_send(
    *,
    actor: User | None,
    version: QuoteVersion,
    email_to_contact: bool = False,
    site_url: str = "",
    now: datetime | None = None,
) -> QuoteVersion:
    """Mark the version sent, give it an unguessable public link, supersede the older versions
    and, when asked, email the link to the deal's contact (after the commit)."""
    version = _locked(version)
    quote = version.quote
    deal = quote.deal
    _require_edit(actor, deal)
    now = now or timezone.now()
    if version.status == QuoteStatus.DRAFT and version_needs_approval(version):
        threshold = workspace_get().quote_approval_discount
        raise ValidationError(
            f"The discount of {version.effective_discount_percent}% is above {threshold}%: "
            "request a sales manager's approval first."
        )
    if version.status not in (QuoteStatus.DRAFT, QuoteStatus.APPROVED):
        raise ValidationError(
            f"Version {version.number} is {version.get_status_display().lower()}; "
            "it cannot be sent."
        )
    if deal.status != DealStatus.OPEN:
        raise ValidationError("This deal is closed; reopen it to send a quote.")
    if _accepted(quote):
        raise ValidationError("Another version of this quote was already accepted.")
    if version.number != _latest_number(quote):
        raise ValidationError("A newer version exists; send that one.")
    _require_lines(version)
    if version.valid_until is not None and version.valid_until < now.date():
        raise ValidationError({"valid_until": "The quote has expired; revise it with a new date."})
    contact = deal.contact
    if email_to_contact and (contact is None or not contact.email):
        raise ValidationError("The deal has no contact with an email address to send it to.")
    QuoteVersion.objects.filter(
        quote=quote, number__lt=version.number, status__in=REPLACEABLE
    ).update(status=QuoteStatus.SUPERSEDED)
    before = snapshot(version, fields=["status", "sent_at", "public_token"])
    version.status = QuoteStatus.SENT
    version.sent_at = now
    version.public_token = secrets.token_urlsafe(32)
    version.save(update_fields=["status", "sent_at", "public_token"])
    audit_update(actor=actor, obj=version, before=before)
    subject = f"Quote {quote.number} v{version.number} sent"
    if email_to_contact and contact is not None:
        subject += f" to {contact.email}"
        link = f"{site_url.rstrip('/')}{public_path(version)}"
        transaction.on_commit(lambda: _mail_link(version, quote, contact.email, link))
    activity_log(
        actor=actor,
        kind=ActivityKind.EMAIL if email_to_contact else ActivityKind.NOTE,
        subject=subject,
        body=f"{quote.title}: {version.total} {version.currency}",
        deal=deal,
        occurred_at=now,
    )
    return version


def _mail_link(version: QuoteVersion, quote: Quote, to: str, link: str) -> None:
    workspace = workspace_get()
    sender = None
    if workspace.email_from_address:
        name = " ".join(workspace.email_from_name.split())
        sender = (
            f"{name} <{workspace.email_from_address}>" if name else workspace.email_from_address
        )
    valid = f"\nValid until {version.valid_until:%B %-d, %Y}." if version.valid_until else ""
    body = (
        f"Hello,\n\nhere is our quote “{quote.title}” ({quote.number}, version "
        f"{version.number}): {version.total} {version.currency}.{valid}\n\n"
        f"View it, download the PDF and accept it here:\n{link}\n\n{workspace.name}\n"
    )
    send_mail(
        subject=f"{workspace.name}: quote {quote.number} — {quote.title}",
        message=body,
        from_email=sender or settings.DEFAULT_FROM_EMAIL,
        recipient_list=[to],
    )


def _last_open_stage(deal: Deal) -> Stage | None:
    return deal.pipeline.stages.filter(kind=StageKind.OPEN).order_by("-position").first()


@transaction.atomic
def version_accept(
    *,
    version: QuoteVersion,
    name: str,
    agreed: bool,
    ip: str | None,
    now: datetime | None = None,
) -> QuoteVersion:
    """The buyer accepts a sent version on its public page.

    Records who, when and from where; the deal's amount becomes the version's total (in the
    quote's currency, amount_base converted like every deal amount); moves an open deal to its
    pipeline's last open stage (closing it as won stays the rep's decision) and logs an
    activity on the deal, which puts the acceptance (and the amount change) on the contact's
    timeline. Refused: twice, superseded, expired.
    """
    version = _locked(version)
    quote = version.quote
    now = now or timezone.now()
    name = " ".join((name or "").split())
    if version.status == QuoteStatus.ACCEPTED:
        raise ValidationError("This quote was already accepted.")
    if version.status == QuoteStatus.SUPERSEDED:
        raise ValidationError("This version was replaced by a newer one; open the latest link.")
    if version.status != QuoteStatus.SENT or _accepted(quote):
        raise ValidationError("This quote can no longer be accepted.")
    if version.valid_until is not None and version.valid_until < now.date():
        raise ValidationError("This quote has expired.")
    if not name:
        raise ValidationError({"name": "Type your full name to sign."})
    if len(name) > 200:
        raise ValidationError({"name": "The name is at most 200 characters long."})
    if not agreed:
        raise ValidationError({"agree": "Tick the box to accept the quote and its terms."})
    fields = ["status", "accepted_at", "accepted_ip", "accepted_name"]
    before = snapshot(version, fields=fields)
    version.status = QuoteStatus.ACCEPTED
    version.accepted_at = now
    version.accepted_ip = ip or None
    version.accepted_name = name
    version.save(update_fields=fields)
    audit_update(actor=None, obj=version, before=before)
    event_emit(
        type="quote.accepted", payload=webhook_payloads.quote_accepted(version), occurred_at=now
    )
    deal = Deal.objects.select_related("pipeline", "stage", "contact").get(pk=quote.deal_id)
    target = _last_open_stage(deal)
    if (
        deal.status == DealStatus.OPEN
        and target is not None
        and target.position > deal.stage.position
    ):
        deal_move_stage(actor=None, deal=deal, stage=target, at=now)
    body = f"{quote.title}: {version.total} {version.currency}, accepted from {ip or 'unknown'}."
    amount_change = _deal_amount_from(deal, version)
    if amount_change:
        body += f" {amount_change}"
    activity_log(
        actor=None,
        kind=ActivityKind.NOTE,
        subject=f"Quote {quote.number} v{version.number} accepted by {name}"[:200],
        body=body,
        deal=deal,
        occurred_at=now,
    )
    return version


def _deal_amount_from(deal: Deal, version: QuoteVersion) -> str:
    """Set the deal's amount to the accepted total: what the buyer signed is what the deal is
    worth. Returns the change in words for the acceptance note ("" when nothing changed)."""
    if (deal.amount, deal.currency) == (version.total, version.currency):
        return ""
    before = (deal.amount, deal.currency, deal.amount_base)
    deal.amount, deal.currency = version.total, version.currency
    deal.amount_base = deal_amount_base(deal)
    if not (_fits(deal, "amount") and _fits(deal, "amount_base")):
        # A quote may total more than a deal can hold; the acceptance stands regardless.
        deal.amount, deal.currency, deal.amount_base = before
        return "The total is too large for the deal amount, which was left as it was."
    deal.save(update_fields=["amount", "currency", "amount_base", "updated_at"])
    return f"Deal amount changed from {before[0]} {before[1]} to {deal.amount} {deal.currency}."


def _fits(deal: Deal, field: str) -> bool:
    model_field = Deal._meta.get_field(field)
    assert isinstance(model_field, models.DecimalField)
    assert model_field.max_digits is not None and model_field.decimal_places is not None
    digits = model_field.max_digits - model_field.decimal_places
    return abs(getattr(deal, field)) < Decimal(10) ** digits
