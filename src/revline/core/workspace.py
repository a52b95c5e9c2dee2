"""The workspace settings: one row, read by the public endpoints and edited by admins."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from revline.audit.models import AuditAction
from revline.audit.services import audit_update, snapshot

from . import permissions
from .models import RecordVisibility, User, Workspace

MAX_ORIGINS = 50
MAX_ORIGIN_LENGTH = 200
# Public endpoints read the rules from process memory; other processes see a change this late.
RULES_TTL = 5.0
_DEFAULT_PORTS = {"http": 80, "https": 443}


# Within one web request (WorkspaceMemoMiddleware) the row is read once: record visibility,
# the navigation and the page may each ask for it several times. Outside a request, every call
# reads the database. Any save of the row forgets it (Workspace.save).
_request_memo: ContextVar[list[Workspace] | None] = ContextVar("revline_workspace", default=None)


@contextmanager
def workspace_memo() -> Iterator[None]:
    token = _request_memo.set([])
    try:
        yield
    finally:
        _request_memo.reset(token)


def workspace_memo_forget() -> None:
    memo = _request_memo.get()
    if memo:
        memo.clear()


def workspace_get() -> Workspace:
    """The single workspace row, created with defaults the first time it is asked for."""
    memo = _request_memo.get()
    if memo:
        return memo[0]
    workspace = _workspace_read()
    if memo is not None:
        memo.append(workspace)
    return workspace


def _workspace_read() -> Workspace:
    workspace = Workspace.objects.order_by("pk").first()
    if workspace is not None:
        return workspace
    try:
        with transaction.atomic():
            return Workspace.objects.create(pk=1)
    except IntegrityError:
        # Another request created it between our read and our insert.
        return Workspace.objects.get(pk=1)


def origin_normalize(raw: str) -> str:
    """`scheme://host[:port]` as browsers send it in the Origin header, or ValueError.

    Lower-cased, default ports dropped, one trailing slash tolerated; paths, queries, user names,
    wildcards and other schemes are refused.
    """
    value = raw.strip()
    if value.endswith("/") and value.count("/") == 3:
        value = value[:-1]
    if not value:
        raise ValueError("is empty")
    if len(value) > MAX_ORIGIN_LENGTH:
        raise ValueError(f"is longer than {MAX_ORIGIN_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ch in "\\*" for ch in value):
        raise ValueError("contains spaces, backslashes, wildcards or control characters")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not value.lower().startswith(f"{scheme}://"):
        raise ValueError("must start with https:// or http://")
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError("must not have a path, query or fragment: only scheme://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    host = parts.hostname or ""
    if not host:
        raise ValueError("has no host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("has an invalid host name") from None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origins_parse(text: str) -> list[str]:
    """Normalised origins, one per non-blank line, without duplicates; ValidationError lists
    every bad line."""
    origins: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            origin = origin_normalize(line)
        except ValueError as exc:
            shown = line.strip()[:80]
            errors.append(f"Line {number} “{shown}” {exc}.")
            continue
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        errors.append(f"At most {MAX_ORIGINS} origins are allowed.")
    if errors:
        raise ValidationError({"site_origins": errors})
    return origins


def workspace_origins(workspace: Workspace) -> frozenset[str]:
    """The origins allowed to send tracking events and embed forms (stored already normalised)."""
    return frozenset(line.strip() for line in workspace.site_origins.splitlines() if line.strip())


def origin_allowed(workspace: Workspace, origin: str | None) -> bool:
    """Exact match of a request's Origin header against the workspace's site origins."""
    if not origin or origin == "null":
        return False
    return origin in workspace_origins(workspace)


@dataclass(frozen=True)
class TrackingRules:
    origins: frozenset[str]
    requires_consent: bool

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and origin != "null" and origin in self.origins


class _RulesMemo:
    value: TrackingRules | None = None
    expires: float = 0.0


def tracking_rules() -> TrackingRules:
    """The site origins and the consent rule, as the busy public endpoints need them: from this
    process's memory, read again from the database every RULES_TTL seconds."""
    now = time.monotonic()
    if _RulesMemo.value is None or _RulesMemo.expires <= now:
        workspace = workspace_get()
        _RulesMemo.value = TrackingRules(
            origins=workspace_origins(workspace),
            requires_consent=workspace.tracking_requires_consent,
        )
        _RulesMemo.expires = now + RULES_TTL
    return _RulesMemo.value


def tracking_rules_clear() -> None:
    _RulesMemo.value = None


@transaction.atomic
def workspace_update(
    *, actor: User, site_origins: str, tracking_requires_consent: bool
) -> Workspace:
    """Replace the site origins and the consent setting. Admins only; a bad origin changes nothing."""
    permissions.require(
        permissions.is_admin(actor), "Only admins can change the workspace settings."
    )
    origins = origins_parse(site_origins)
    workspace = workspace_get()
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    before = snapshot(workspace, fields=["site_origins", "tracking_requires_consent"])
    workspace.site_origins = "\n".join(origins)
    workspace.tracking_requires_consent = bool(tracking_requires_consent)
    workspace.save(update_fields=["site_origins", "tracking_requires_consent", "updated_at"])
    audit_update(actor=actor, obj=workspace, before=before, action=AuditAction.SETTING_CHANGE)
    # Now for this request's own later reads, and again once other requests can see the change.
    tracking_rules_clear()
    transaction.on_commit(tracking_rules_clear)
    return workspace


@transaction.atomic
def workspace_visibility_update(
    *, actor: User, contact: str, company: str, deal: str, activity: str
) -> Workspace:
    """Set which records of each type sales reps and managers see ("all", "team" or "own"; see
    core.visibility). Admins only; an unknown value changes nothing."""
    permissions.require(
        permissions.is_admin(actor), "Only admins can change the workspace settings."
    )
    values = {"contact": contact, "company": company, "deal": deal, "activity": activity}
    allowed = set(RecordVisibility.values)
    errors = {
        f"{kind}_visibility": "Choose all, team or own."
        for kind, value in values.items()
        if value not in allowed
    }
    if errors:
        raise ValidationError(errors)
    fields = [f"{kind}_visibility" for kind in values]
    workspace = Workspace.objects.select_for_update().get(pk=workspace_get().pk)
    before = snapshot(workspace, fields=fields)
    for kind, value in values.items():
        setattr(workspace, f"{kind}_visibility", value)
    workspace.save(update_fields=[*fields, "updated_at"])
    audit_update(actor=actor, obj=workspace, before=before, action=AuditAction.SETTING_CHANGE)
    return workspace


def workspace_outbound_resume(*, actor: User) -> Workspace:
    """Lift the pause a restore put on outbound email: the admin confirms this copy is live."""
    permissions.require(permissions.is_admin(actor), "Only admins can resume sending.")
    workspace = Workspace.objects.select_for_update().get(pk=workspace_get().pk)
    before = snapshot(workspace, fields=["outbound_paused_at", "outbound_paused_reason"])
    workspace.outbound_paused_at = None
    workspace.outbound_paused_reason = ""
    workspace.save(update_fields=["outbound_paused_at", "outbound_paused_reason", "updated_at"])
    audit_update(actor=actor, obj=workspace, before=before, action=AuditAction.SETTING_CHANGE)
    return workspace


_VISIBILITY_KINDS = ("contact", "company", "deal", "activity")
_EMAIL_FIELDS = {
    "email_from_name": "from_name",
    "email_from_address": "from_address",
    "postal_address": "postal_address",
}


@transaction.atomic
def workspace_settings_patch(*, actor: User, **values: object) -> Workspace:
    """Change any of the workspace settings at once (the API's PATCH): the tracking settings, the
    record visibility and the email sender, each through its own service and rules. Fields left
    out keep their value; all or nothing. Error keys are the workspace's field names."""
    from revline.email.template_services import email_settings_update

    permissions.require(
        permissions.is_admin(actor), "Only admins can change the workspace settings."
    )
    workspace = workspace_get()
    tracking = ("site_origins", "tracking_requires_consent")
    visibility = [f"{kind}_visibility" for kind in _VISIBILITY_KINDS]
    unknown = set(values) - {*tracking, *visibility, *_EMAIL_FIELDS}
    if unknown:
        raise ValueError(f"Unknown workspace settings: {sorted(unknown)}")
    if any(key in values for key in tracking):
        workspace_update(
            actor=actor,
            site_origins=str(values.get("site_origins", workspace.site_origins)),
            tracking_requires_consent=bool(
                values.get("tracking_requires_consent", workspace.tracking_requires_consent)
            ),
        )
    if any(key in values for key in visibility):
        workspace_visibility_update(
            actor=actor,
            **{
                kind: str(
                    values.get(f"{kind}_visibility", getattr(workspace, f"{kind}_visibility"))
                )
                for kind in _VISIBILITY_KINDS
            },
        )
    if any(key in values for key in _EMAIL_FIELDS):
        try:
            email_settings_update(
                actor=actor,
                **{
                    argument: str(values.get(field, getattr(workspace, field)))
                    for field, argument in _EMAIL_FIELDS.items()
                },
            )
        except ValidationError as exc:
            names = {argument: field for field, argument in _EMAIL_FIELDS.items()}
            raise ValidationError(
                {names.get(key, key): messages for key, messages in exc.message_dict.items()}
            ) from exc
    return workspace_get()
