"""Users, teams and the caller's API tokens over the JSON API (the admin area).

As on the users page, only admins create and change users and teams. Every active user may list
active users and teams (they pick owners from them); admins also see inactive users and who has
two-factor on. Tokens are created on the API tokens page; here a user lists and revokes their own.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, Q, QuerySet, Value
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from . import permissions, selectors, services
from .api_schemas import (
    TeamFilters,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenFilters,
    TokenOut,
    UserFilters,
    UserIn,
    UserOut,
    UserPatch,
)
from .api_support import api_user, related_or_422
from .models import ApiToken, Team, User
from .schemas import ErrorOut, LimitOffset

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
READ_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut}


def _admin(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_users(user), services.MANAGE_USERS)
    return user


def _ordered(queryset: QuerySet[Any], sort: str) -> QuerySet[Any]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def _users_visible_to(viewer: User) -> QuerySet[User]:
    if permissions.is_admin(viewer):
        return selectors.users_with_twofactor()
    # Which accounts lack a second factor is for admins only.
    return (
        User.objects.select_related("team")
        .filter(is_active=True)
        .annotate(has_two_factor=Value(None, output_field=BooleanField()))
    )


def _user_or_404(viewer: User, user_id: int) -> User:
    return get_object_or_404(_users_visible_to(viewer), pk=user_id)


# --- users ----------------------------------------------------------------------------------


@router.get(
    "/users",
    response={200: list[UserOut], 403: ErrorOut},
    tags=["users"],
    summary="Users (admins also see inactive ones)",
)
@paginate(LimitOffset)
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> Any:
    viewer = api_user(request)
    data = filters.model_dump()
    users = _users_visible_to(viewer)
    if q := data["q"]:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    if data["role"]:
        users = users.filter(role=data["role"])
    if data["team_id"] is not None:
        users = users.filter(team_id=data["team_id"])
    if data["is_active"] is not None:
        users = users.filter(is_active=data["is_active"])
    return _ordered(users, data["sort"])


@router.post(
    "/users",
    response={201: UserOut, **ERRORS},
    tags=["users"],
    summary="Create a user (admins)",
)
def create_user(request: HttpRequest, payload: UserIn) -> Any:
    actor = _admin(request)
    data = payload.model_dump()
    team = related_or_422(Team.objects.all(), data.pop("team_id"), field="team_id")
    for field, lookup in (("username", "username__iexact"), ("email", "email__iexact")):
        if User.objects.filter(**{lookup: data[field]}).exists():
            raise ValidationError({field: f"A user with this {field} already exists."})
    user = services.user_create(actor=actor, team=team, **data)
    return Status(201, _user_or_404(actor, user.pk))


@router.get(
    "/users/{int:user_id}",
    response={200: UserOut, **READ_ERRORS},
    tags=["users"],
    summary="One user",
)
def get_user(request: HttpRequest, user_id: int) -> Any:
    return _user_or_404(api_user(request), user_id)


@router.patch(
    "/users/{int:user_id}",
    response={200: UserOut, **ERRORS},
    tags=["users"],
    summary="Change a user's role, team or status (admins; never your own role)",
)
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> Any:
    actor = _admin(request)
    user = get_object_or_404(User.objects.select_related("team"), pk=user_id)
    data = payload.model_dump(exclude_unset=True)
    if user.pk == actor.pk and data.get("role", user.role) != user.role:
        permissions.require(False, "You cannot change your own role.")
    team = (
        related_or_422(Team.objects.all(), data["team_id"], field="team_id")
        if "team_id" in data
        else user.team
    )
    _user_update(
        actor=actor,
        user=user,
        role=data.get("role", user.role),
        team=team,
        is_active=data.get("is_active", user.is_active),
    )
    return _user_or_404(actor, user.pk)


@router.delete(
    "/users/{int:user_id}",
    response={204: None, **ERRORS},
    tags=["users"],
    summary="Deactivate a user (their records and history stay)",
)
def deactivate_user(request: HttpRequest, user_id: int) -> Any:
    actor = _admin(request)
    user = get_object_or_404(User.objects.select_related("team"), pk=user_id)
    _user_update(actor=actor, user=user, role=user.role, team=user.team, is_active=False)
    return Status(204, None)


def _user_update(*, actor: User, user: User, role: str, team: Team | None, is_active: bool) -> None:
    try:
        services.user_update(actor=actor, user=user, role=role, team=team, is_active=is_active)
    except ValueError as exc:
        # The service's refusal to lock an admin out of their own account.
        raise ValidationError({"is_active": str(exc)}) from exc


# --- teams ----------------------------------------------------------------------------------


def _teams() -> QuerySet[Team]:
    return Team.objects.annotate(member_count=Count("members"))


@router.get(
    "/teams",
    response={200: list[TeamOut], 403: ErrorOut},
    tags=["teams"],
    summary="Teams with their member counts",
)
@paginate(LimitOffset)
def list_teams(request: HttpRequest, filters: Query[TeamFilters]) -> Any:
    teams = _teams()
    if filters.q:
        teams = teams.filter(name__icontains=filters.q)
    return _ordered(teams, filters.sort)


@router.post(
    "/teams", response={201: TeamOut, **ERRORS}, tags=["teams"], summary="Create a team (admins)"
)
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    team = services.team_create(actor=_admin(request), name=payload.name)
    return Status(201, _teams().get(pk=team.pk))


@router.get(
    "/teams/{int:team_id}",
    response={200: TeamOut, **READ_ERRORS},
    tags=["teams"],
    summary="One team",
)
def get_team(request: HttpRequest, team_id: int) -> Any:
    return get_object_or_404(_teams(), pk=team_id)


@router.patch(
    "/teams/{int:team_id}",
    response={200: TeamOut, **ERRORS},
    tags=["teams"],
    summary="Rename a team (admins)",
)
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Any:
    actor = _admin(request)
    team = get_object_or_404(Team, pk=team_id)
    if payload.name is not None:
        services.team_update(actor=actor, team=team, name=payload.name)
    return _teams().get(pk=team.pk)


@router.delete(
    "/teams/{int:team_id}",
    response={204: None, **READ_ERRORS},
    tags=["teams"],
    summary="Delete a team; its members stay, without a team (admins)",
)
def delete_team(request: HttpRequest, team_id: int) -> Any:
    actor = _admin(request)
    services.team_delete(actor=actor, team=get_object_or_404(Team, pk=team_id))
    return Status(204, None)


# --- the caller's API tokens ------------------------------------------------------------------


def _own_token(request: HttpRequest, api_token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=api_token_id, user=api_user(request)).first()
    if token is None:
        raise Http404("No such API token of yours.")
    return token


@router.get(
    "/tokens",
    response=list[TokenOut],
    tags=["tokens"],
    summary="Your API tokens (their values are never shown again)",
)
@paginate(LimitOffset)
def list_tokens(request: HttpRequest, filters: Query[TokenFilters]) -> Any:
    tokens = ApiToken.objects.filter(user=api_user(request))
    if filters.active is not None:
        tokens = tokens.filter(revoked_at__isnull=filters.active)
    return _ordered(tokens, filters.sort)


@router.get(
    "/tokens/{int:api_token_id}",
    response={200: TokenOut, 404: ErrorOut},
    tags=["tokens"],
    summary="One of your API tokens",
)
def get_token(request: HttpRequest, api_token_id: int) -> Any:
    return _own_token(request, api_token_id)


@router.post(
    "/tokens/{int:api_token_id}/revoke",
    response={200: TokenOut, **READ_ERRORS},
    tags=["tokens"],
    summary="Revoke one of your API tokens (it stops working at once)",
)
def revoke_token(request: HttpRequest, api_token_id: int) -> Any:
    token = _own_token(request, api_token_id)
    services.api_token_revoke(actor=api_user(request), token=token)
    token.refresh_from_db()
    return token
