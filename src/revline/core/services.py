import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from revline.audit.models import AuditAction
from revline.audit.services import (
    audit_create,
    audit_token_used,
    audit_update,
    snapshot,
)

from . import permissions
from .models import ApiToken, Role, Team, User

TOKEN_PREFIX = "rl_"  # noqa: S105 (a public prefix, not a secret)


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


def api_token_issue(*, user: User, name: str) -> IssuedToken:
    """Create a token; the raw value is returned once and only its digest is stored."""
    name = name.strip()
    if not name:
        raise ValueError("A token needs a name.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[:10], digest=_digest(raw)
    )
    audit_create(actor=user, obj=token)
    return IssuedToken(token=token, raw=raw)


def api_token_authenticate(*, raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        # Checked only when last_used_at moves, so a busy token costs no extra query per call.
        audit_token_used(token=token, user=token.user)
    return token.user


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    permissions.require(token.user_id == actor.pk or permissions.is_admin(actor))
    if token.revoked_at is None:
        before = snapshot(token, fields=["revoked_at"])
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_update(actor=actor, obj=token, before=before, action=AuditAction.PERMISSION_CHANGE)


def team_create(*, actor: User, name: str) -> Team:
    permissions.require(permissions.can_manage_users(actor))
    team = Team.objects.create(name=name.strip())
    audit_create(actor=actor, obj=team)
    return team


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
) -> User:
    """Create a user. `actor=None` is for trusted callers only (the demo, the CLI)."""
    if actor is not None:
        permissions.require(permissions.can_manage_users(actor))
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
    user.set_password(password)
    user.full_clean()
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
