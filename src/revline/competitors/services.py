"""Writes for competitors: their profile and battlecard, and the competitors involved in a deal."""

from django.core.exceptions import ValidationError
from django.db import models, transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import Role, User
from revline.sales.models import Competitor, Deal, DealStatus

COMPETITORS_DENIED = "Only sales managers, marketers and admins can edit competitors."
DEAL_DENIED = "You can only change deals of your own team."
TEXT_MAX = 5000
PROFILE_FIELDS = (
    "positioning",
    "strengths",
    "weaknesses",
    "pricing_notes",
    "how_to_win",
    "landmines",
    "proof_points",
)


def can_edit_competitors(user: User) -> bool:
    """Marketing researches competitors; sales managers keep the battlecards; reps read them."""
    return permissions.is_admin(user) or (
        user.is_active and user.role in (Role.SALES_MANAGER, Role.MARKETER)
    )


def _clean_name(name: str, *, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the competitor a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    clash = Competitor.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "This competitor is already in the list."})
    return name


def _apply(competitor: Competitor, *, website: str, profile: dict[str, str]) -> None:
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown competitor fields: {', '.join(sorted(unknown))}")
    competitor.website = website.strip()
    errors = {}
    for name, value in profile.items():
        text = value.strip().replace("\r\n", "\n")
        if len(text) > TEXT_MAX:
            errors[name] = f"Keep it under {TEXT_MAX:,} characters."
        setattr(competitor, name, text)
    if errors:
        raise ValidationError(errors)
    competitor.full_clean()


def competitor_create(
    *, actor: User | None, name: str, website: str = "", **profile: str
) -> Competitor:
    """A new competitor; `profile` holds any of PROFILE_FIELDS. Names are unique in any case."""
    if actor is not None:
        permissions.require(can_edit_competitors(actor), COMPETITORS_DENIED)
    competitor = Competitor(name=_clean_name(name))
    _apply(competitor, website=website, profile=profile)
    competitor.save()
    audit_create(actor=actor, obj=competitor)
    return competitor


def competitor_update(
    *, actor: User, competitor: Competitor, name: str, website: str, **profile: str
) -> Competitor:
    """Change the name, website, profile and battlecard (fields not given are kept)."""
    permissions.require(can_edit_competitors(actor), COMPETITORS_DENIED)
    name = _clean_name(name, exclude_pk=competitor.pk)
    fresh = Competitor.objects.get(pk=competitor.pk)
    before = snapshot(fresh)
    fresh.name = name
    _apply(fresh, website=website, profile=profile)
    fresh.save()
    audit_update(actor=actor, obj=fresh, before=before)
    # Changed on a copy, so a refused change leaves the caller's instance as stored.
    competitor.refresh_from_db()
    return competitor


@transaction.atomic
def competitor_delete(*, actor: User, competitor: Competitor) -> None:
    """Delete a competitor no deal involves; the win/loss report needs the ones that do."""
    permissions.require(can_edit_competitors(actor), COMPETITORS_DENIED)
    involved = Deal.objects.filter(models.Q(competitors=competitor) | models.Q(lost_to=competitor))
    if involved.exists():
        raise ValidationError(
            {"competitor": f"{competitor.name} is involved in deals: the win/loss report needs it."}
        )
    audit_delete(actor=actor, obj=competitor)
    competitor.delete()


def deal_competitor_add(*, actor: User | None, deal: Deal, competitor: Competitor) -> bool:
    """Record that `competitor` is involved in `deal`; False when it already was."""
    if actor is not None:
        permissions.require(permissions.can_edit_deal(actor, deal), DEAL_DENIED)
    if deal.competitors.filter(pk=competitor.pk).exists():
        return False
    deal.competitors.add(competitor)
    return True


@transaction.atomic
def deal_competitor_remove(*, actor: User | None, deal: Deal, competitor: Competitor) -> None:
    """Take a competitor off a deal. The competitor a lost deal went to stays (reopen first)."""
    if actor is not None:
        permissions.require(permissions.can_edit_deal(actor, deal), DEAL_DENIED)
    if deal.status == DealStatus.LOST and deal.lost_to_id == competitor.pk:
        raise ValidationError(
            {"competitor": f"The deal was lost to {competitor.name}: it stays involved."}
        )
    if not deal.competitors.filter(pk=competitor.pk).exists():
        raise ValidationError({"competitor": f"{competitor.name} is not involved in this deal."})
    deal.competitors.remove(competitor)
