import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from revline.audit.models import AuditAction
from revline.audit.services import (
    audit_create,
    audit_delete,
    audit_token_used,
    audit_update,
    snapshot,
)

from . import api_scopes, permissions
from .models import ApiToken, Role, Team, User

MANAGE_USERS = "Only admins can manage users and teams."
TOKEN_PREFIX = "rl_"  # noqa: S105 (a public prefix, not a secret)


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


def api_token_issue(*, user: User, name: str, scopes: list[str] | None = None) -> IssuedToken:
    """Create a token; the raw value is returned once and only its digest is stored.

    `scopes=None` grants every scope; an empty list is refused (such a token could do nothing).
    """
    name = name.strip()
    if not name:
        raise ValueError("A token needs a name.")
    granted = api_scopes.all_scopes() if scopes is None else sorted(set(scopes))
    unknown = [scope for scope in granted if scope not in api_scopes.all_scopes()]
    if unknown:
        raise ValueError(f"Unknown scope: {', '.join(unknown)}.")
    if not granted:
        raise ValueError("Choose at least one scope.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[:10], digest=_digest(raw), scopes=granted
    )
    audit_create(actor=user, obj=token)
    return IssuedToken(token=token, raw=raw)


def api_token_lookup(*, raw: str) -> ApiToken | None:
    """The live token with this raw value, without recording its use."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token with this raw value (its user loaded), or None."""
    token = api_token_lookup(raw=raw)
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Checked only when last_used_at moves, so a busy token costs no extra query per call.
        audit_token_used(token=token, user=token.user)
    return token


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    permissions.require(token.user_id == actor.pk or permissions.is_admin(actor))
    if token.revoked_at is None:
        before = snapshot(token, fields=["revoked_at"])
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_update(actor=actor, obj=token, before=before, action=AuditAction.PERMISSION_CHANGE)


def _team_name_clean(name: str, *, team: Team | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A team needs a name."})
    if len(name) > 100:
        raise ValidationError({"name": "A team name has at most 100 characters."})
    taken = Team.objects.filter(name__iexact=name)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise ValidationError({"name": "A team with this name already exists."})
    return name


def team_create(*, actor: User, name: str) -> Team:
    permissions.require(permissions.can_manage_users(actor), MANAGE_USERS)
    team = Team.objects.create(name=_team_name_clean(name))
    audit_create(actor=actor, obj=team)
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str) -> Team:
    permissions.require(permissions.can_manage_users(actor), MANAGE_USERS)
    before = snapshot(team, fields=["name"])
    team.name = _team_name_clean(name, team=team)
    team.save(update_fields=["name"])
    audit_update(actor=actor, obj=team, before=before)
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Delete the team; its members stay, without a team (they then see only their own deals)."""
    permissions.require(permissions.can_manage_users(actor), MANAGE_USERS)
    audit_delete(actor=actor, obj=team)
    team.delete()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    password: str | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
) -> User:
    """Create a user. `actor=None` is for trusted callers only (the demo, the CLI); a password
    given by a person must pass Django's password validators. Without a password the user
    cannot sign in until one is set (by a password reset)."""
    if actor is not None:
        permissions.require(permissions.can_manage_users(actor), MANAGE_USERS)
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    user = User(
        username=username,
        email=email.strip().lower(),
        role=role,
        first_name=first_name,
        last_name=last_name,
        team=team,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password or None)
    user.full_clean()
    if password and actor is not None:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
    user.save()
    audit_create(actor=actor, obj=user)
    return user


def user_update(*, actor: User, user: User, role: str, team: Team | None, is_active: bool) -> User:
    permissions.require(permissions.can_manage_users(actor))
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    if user.pk == actor.pk and (role != Role.ADMIN or not is_active):
        raise ValueError("You cannot remove your own admin role or deactivate yourself.")
    before = snapshot(user, fields=["role", "team", "is_active", "is_staff", "is_superuser"])
    user.role = role
    user.team = team
    user.is_active = is_active
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "team", "is_active", "is_staff", "is_superuser"])
    audit_update(actor=actor, obj=user, before=before, action=AuditAction.PERMISSION_CHANGE)
    return user
