"""Who may do what. Every view, API route and service asks these functions.

Roles: admins do everything; marketers own marketing (campaigns, pages, links) and may edit
contacts but only read deals; sales reps and managers work deals of their own team (a rep with
no team only their own deals); nobody but admins manages users and teams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from .models import RecordVisibility, Role, User

if TYPE_CHECKING:
    from revline.sales.models import Deal

SALES_ROLES = {Role.SALES_REP, Role.SALES_MANAGER}


def is_admin(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.ADMIN)


def can_manage_users(user: User) -> bool:
    return is_admin(user)


def can_manage_marketing(user: User) -> bool:
    return is_admin(user) or user.role == Role.MARKETER


def can_edit_people(user: User) -> bool:
    return user.is_active


def can_create_deals(user: User) -> bool:
    return is_admin(user) or user.role in SALES_ROLES


def can_edit_deal(user: User, deal: Deal) -> bool:
    if is_admin(user):
        return True
    if user.role not in SALES_ROLES:
        return False
    if deal.owner_id is None or deal.owner_id == user.pk:
        return True
    owner_team_id = deal.owner.team_id if deal.owner else None
    return user.team_id is not None and owner_team_id == user.team_id


def sees_only_team_deals(user: User) -> bool:
    """Whether the workspace narrows the deals `user` sees (to their team's or their own, plus
    unowned ones); see core.visibility. Admins and marketers always see every deal: marketing
    measures pipeline and revenue."""
    from .visibility import scope_for  # visibility asks this module who is an admin

    return scope_for(user, "deal") != RecordVisibility.ALL


def can_view_deal(user: User, deal: Deal) -> bool:
    from .visibility import can_view_deal as visible

    return visible(user, deal)


def can_approve_quote(user: User, owner: User | None) -> bool:
    """Sales managers approve discounts on deals of their own team; admins approve any."""
    if is_admin(user):
        return True
    if user.role != Role.SALES_MANAGER or user.team_id is None:
        return False
    return owner is not None and owner.team_id == user.team_id


def can_set_quota(user: User, rep: User) -> bool:
    """Admins set anyone's quota; a sales manager sets those of their own team."""
    if is_admin(user):
        return True
    return (
        user.role == Role.SALES_MANAGER and user.team_id is not None and rep.team_id == user.team_id
    )


def can_read_quota(user: User, rep: User) -> bool:
    """Reps read their own quota, managers their team's; admins and marketers everyone's."""
    if can_set_quota(user, rep) or rep.pk == user.pk:
        return True
    return user.is_active and user.role not in SALES_ROLES


def can_assign_deal_to(user: User, owner: User) -> bool:
    """Reps and managers hand deals only within their team, so they never lock themselves out."""
    if is_admin(user) or owner.pk == user.pk:
        return True
    return user.role in SALES_ROLES and user.team_id is not None and owner.team_id == user.team_id


def can_manage_pipelines(user: User) -> bool:
    return is_admin(user) or user.role == Role.SALES_MANAGER


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)
