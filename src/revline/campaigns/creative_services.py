"""Creative writes: each creative gets one call to action and its own tracked link.

The link's destination is the CTA's public page: the landing page for 'open a form', the
booking page for 'book a meeting', the order page for 'buy now'. What the link points at is
fixed when the creative is created (links already printed in ads must keep working), so the
action and the landing page cannot change later; the rep and the product can, because the
booking and order pages read them from the creative on every visit.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import LandingPage
from revline.core import permissions
from revline.core.models import User
from revline.quotes.models import Product
from revline.sales import booking_selectors
from revline.tracking.services import link_create

from .creative_selectors import cta_url
from .models import Campaign, Creative, CreativeKind, CtaAction
from .services import utm_slug

MARKETERS_ONLY = "Only marketers and admins manage creatives."
CREATIVE_UPDATABLE = frozenset(
    {"name", "kind", "headline", "body", "cta_label", "booking_user", "product"}
)


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor), MARKETERS_ONLY)


def _target_errors(
    *,
    cta_action: str,
    landing_page: LandingPage | None,
    booking_user: User | None,
    product: Product | None,
) -> dict[str, str]:
    if cta_action == CtaAction.FORM:
        if landing_page is None:
            return {"landing_page": "Pick the landing page whose form the CTA opens."}
        if not landing_page.is_published:
            return {"landing_page": "This landing page is not published; publish it first."}
    elif cta_action == CtaAction.BOOK_MEETING:
        if booking_user is None:
            return {"booking_user": "Pick the sales rep whose calendar the CTA opens."}
        if not booking_selectors.is_bookable(booking_user):
            return {"booking_user": "Only active sales reps and managers can be booked."}
        if not booking_selectors.availability_for(booking_user):
            return {
                "booking_user": f"{booking_user} has not set any availability yet "
                "(Sales → Availability)."
            }
    elif cta_action == CtaAction.BUY_NOW:
        if product is None:
            return {"product": "Pick the product the CTA sells."}
        if not product.is_active:
            return {"product": "This product is inactive; activate it first."}
    else:
        return {"cta_action": "Pick one of the listed actions."}
    return {}


def _name_errors(*, campaign: Campaign, name: str, exclude_pk: int | None) -> dict[str, str]:
    if not name:
        return {"name": "Give the creative a name."}
    slug = utm_slug(name)
    if not slug:
        return {"name": "Use a name with letters or digits: it becomes the link's utm_content."}
    others = Creative.objects.filter(campaign=campaign)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    for other_name in others.values_list("name", flat=True):
        if other_name.lower() == name.lower() or utm_slug(other_name) == slug:
            return {"name": f"This campaign already has a creative named “{other_name}”."}
    return {}


@transaction.atomic
def creative_create(
    *,
    actor: User | None,
    campaign: Campaign,
    name: str,
    cta_label: str,
    cta_action: str,
    kind: str = CreativeKind.AD,
    headline: str = "",
    body: str = "",
    landing_page: LandingPage | None = None,
    booking_user: User | None = None,
    product: Product | None = None,
) -> Creative:
    """Create a creative with a valid CTA target and mint its tracked link.

    The link carries utm_content = a slug of the name and leads to the CTA's public page.
    Only the target that matches the action is kept. `actor=None` is for system callers.
    """
    _require_marketer(actor)
    name = name.strip()
    errors = {
        **_name_errors(campaign=campaign, name=name, exclude_pk=None),
        **_target_errors(
            cta_action=cta_action,
            landing_page=landing_page,
            booking_user=booking_user,
            product=product,
        ),
    }
    if not cta_label.strip():
        errors["cta_label"] = "Write the button's label, e.g. “Book a demo”."
    if errors:
        raise ValidationError(errors)
    creative = Creative(
        campaign=campaign,
        kind=kind,
        name=name,
        headline=headline.strip(),
        body=body.strip(),
        cta_label=cta_label.strip(),
        cta_action=cta_action,
        landing_page=landing_page if cta_action == CtaAction.FORM else None,
        booking_user=booking_user if cta_action == CtaAction.BOOK_MEETING else None,
        product=product if cta_action == CtaAction.BUY_NOW else None,
    )
    creative.full_clean(exclude=["link"])
    creative.save()
    creative.link = link_create(
        actor=actor,
        campaign=campaign,
        destination_url=cta_url(creative),
        label=f"Creative: {name}"[:200],
        utm_content=utm_slug(name),
    )
    creative.save(update_fields=["link"])
    audit_create(actor=actor, obj=creative)
    return creative


@transaction.atomic
def creative_update(*, actor: User | None, creative: Creative, **fields: Any) -> Creative:
    """Change a creative's copy, kind, rep or product. The action and landing page are fixed.

    Works on a fresh copy, so on any error neither the database nor `creative` changes. The
    link's utm_content keeps the original name's slug, so reports stay continuous.
    """
    _require_marketer(actor)
    unknown = set(fields) - CREATIVE_UPDATABLE
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = (
        Creative.objects.select_for_update(of=("self",))
        .select_related("campaign", "landing_page", "booking_user", "product")
        .get(pk=creative.pk)
    )
    before = snapshot(updated)
    for field, value in fields.items():
        setattr(updated, field, value.strip() if isinstance(value, str) else value)
    errors = {
        **_name_errors(campaign=updated.campaign, name=updated.name, exclude_pk=updated.pk),
        **_target_errors(
            cta_action=updated.cta_action,
            landing_page=updated.landing_page,
            booking_user=updated.booking_user,
            product=updated.product,
        ),
    }
    if "landing_page" in errors and "landing_page" not in fields:
        # An unpublished page is the page's problem, not this edit's: keep copy edits possible.
        errors.pop("landing_page")
    if not updated.cta_label:
        errors["cta_label"] = "Write the button's label, e.g. “Book a demo”."
    if errors:
        raise ValidationError(errors)
    if updated.cta_action != CtaAction.BOOK_MEETING:
        updated.booking_user = None
    if updated.cta_action != CtaAction.BUY_NOW:
        updated.product = None
    updated.full_clean(exclude=["link"])
    updated.save()
    audit_update(actor=actor, obj=updated, before=before)
    return updated


@transaction.atomic
def creative_delete(*, actor: User | None, creative: Creative) -> None:
    """Delete a creative that has no touchpoints or spend yet. Its tracked link stays (a printed
    ad may still carry it) and keeps crediting the campaign."""
    _require_marketer(actor)
    if creative.touchpoints.exists() or creative.spend.exists():
        raise ValidationError(
            {
                "creative": "This creative has recorded touchpoints or spend that reports rely "
                "on; it cannot be deleted."
            }
        )
    audit_delete(actor=actor, obj=creative)
    creative.delete()
