"""Workspace settings and the caller's notifications over the JSON API. Routes call the same
services as the Settings → Workspace, Email settings and Notifications pages."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict, StringConstraints

from . import permissions
from .api_support import api_user
from .models import Notification, RecordVisibility, User, Workspace
from .notifications import notifications_for, notifications_mark_read, notifications_unread_count
from .schemas import ErrorOut, LimitOffset, MoneyOut, PatchSchema, UserRef
from .workspace import (
    MAX_ORIGIN_LENGTH,
    MAX_ORIGINS,
    workspace_get,
    workspace_origins,
    workspace_outbound_resume,
    workspace_settings_patch,
)

router = Router()
notifications_router = Router()

VIEW_DENIED = "Only admins and marketers can see the workspace settings."


# --- schemas ------------------------------------------------------------------------------------


class WorkspaceOut(Schema):
    name: str
    site_origins: list[str] = Field(description="Origins allowed to send tracking events")
    tracking_requires_consent: bool
    email_from_name: str
    email_from_address: str
    postal_address: str = Field(description="Printed in the footer of every marketing email")
    contact_visibility: RecordVisibility = Field(description="What sales reps and managers see")
    company_visibility: RecordVisibility
    deal_visibility: RecordVisibility
    activity_visibility: RecordVisibility
    quote_approval_discount: MoneyOut = Field(
        description="Quotes discounted by more than this percentage need approval"
    )
    currency: str = Field(description="The workspace's currency (REVLINE_CURRENCY)")
    outbound_paused_at: datetime | None = Field(
        description="Set after a restore: no email goes out until an admin resumes sending"
    )
    outbound_paused_reason: str
    updated_at: datetime
    can_edit: bool = Field(description="Whether the caller may change these settings")

    @staticmethod
    def resolve_site_origins(obj: Workspace) -> list[str]:
        return sorted(workspace_origins(obj))

    @staticmethod
    def resolve_currency(obj: Workspace) -> str:
        return str(settings.CURRENCY)


# Checked and normalised by the service; the limit only keeps absurd input out.
Origin = Annotated[str, StringConstraints(max_length=MAX_ORIGIN_LENGTH + 10)]


class WorkspacePatch(PatchSchema):
    """Only the fields sent change (admins only); a bad value anywhere changes nothing."""

    site_origins: list[Origin] | None = Field(
        None,
        max_length=MAX_ORIGINS,
        description="scheme://host[:port], no path; replaces the whole list",
    )
    tracking_requires_consent: bool | None = None
    email_from_name: str | None = Field(None, max_length=100)
    email_from_address: str | None = Field(None, max_length=254)
    postal_address: str | None = Field(None, max_length=1000)
    contact_visibility: RecordVisibility | None = None
    company_visibility: RecordVisibility | None = None
    deal_visibility: RecordVisibility | None = None
    activity_visibility: RecordVisibility | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "site_origins": ["https://www.example.com", "https://shop.example.com"],
                    "tracking_requires_consent": True,
                    "email_from_name": "Example Marketing",
                    "deal_visibility": "team",
                }
            ]
        },
    )


NotificationSort = Literal["unread_first", "-created_at", "created_at"]


class NotificationFilters(Schema):
    unread: bool | None = Field(None, description="true: only unread; false: only read")
    q: str | None = Field(None, max_length=200, description="Part of the text")
    sort: NotificationSort = Field("unread_first", description="unread_first: then newest first")


class NotificationOut(Schema):
    id: int
    kind: str = Field(examples=["handoff_routed"])
    text: str
    url: str = Field(description="A path on this site, or empty")
    actor: UserRef | None
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @staticmethod
    def resolve_is_read(obj: Notification) -> bool:
        return obj.read_at is not None


class ReadAllOut(Schema):
    marked: int = Field(description="How many notifications were unread until now")
    unread: int


# --- workspace ----------------------------------------------------------------------------------


def _workspace_out(user: User) -> Workspace:
    workspace = workspace_get()
    workspace.can_edit = permissions.is_admin(user)  # type: ignore[attr-defined]
    return workspace


@router.get(
    "/workspace",
    response={200: WorkspaceOut, 403: ErrorOut},
    tags=["workspace"],
    summary="The workspace settings (admins, marketers)",
)
def get_workspace(request: HttpRequest) -> Any:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), VIEW_DENIED)
    return _workspace_out(user)


@router.patch(
    "/workspace",
    response={200: WorkspaceOut, 403: ErrorOut, 422: ErrorOut},
    tags=["workspace"],
    summary="Change the workspace settings (admins); only the fields sent change",
    description="Site origins are normalised (lower-cased, default ports dropped, duplicates "
    "removed). The quote approval threshold and the currency are read-only here.",
)
def update_workspace(request: HttpRequest, payload: WorkspacePatch) -> Any:
    user = api_user(request)
    values = payload.model_dump(exclude_unset=True)
    if "site_origins" in values:
        values["site_origins"] = "\n".join(values["site_origins"])
    workspace_settings_patch(actor=user, **values)
    return _workspace_out(user)


@router.post(
    "/workspace/outbound-resume",
    response={200: WorkspaceOut, 403: ErrorOut},
    tags=["workspace"],
    summary="Resume outbound email after a restore (admins)",
    description="Confirms this copy is the live workspace; scheduled emails and sequences carry "
    "on. Harmless when sending is not paused.",
)
def resume_outbound(request: HttpRequest) -> Any:
    user = api_user(request)
    workspace_outbound_resume(actor=user)
    return _workspace_out(user)


# --- notifications ------------------------------------------------------------------------------


def _notifications(
    user: User, *, unread: bool | None, q: str | None, sort: str
) -> QuerySet[Notification]:
    found = notifications_for(user)
    if unread is not None:
        found = found.filter(read_at__isnull=unread)
    if q and q.strip():
        found = found.filter(text__icontains=q.strip())
    if sort == "unread_first":
        unread_rank = Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return found.annotate(is_unread_rank=unread_rank).order_by(
            "is_unread_rank", "-created_at", "-pk"
        )
    if sort == "created_at":
        return found.order_by("created_at", "pk")
    return found.order_by("-created_at", "-pk")


@notifications_router.get(
    "/notifications",
    response=list[NotificationOut],
    tags=["notifications"],
    summary="The caller's notifications, unread first, newest first",
)
@paginate(LimitOffset)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    return _notifications(api_user(request), **filters.model_dump())


@notifications_router.post(
    "/notifications/{int:notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    tags=["notifications"],
    summary="Mark one of the caller's notifications read",
    description="Another user's notification answers 404. Marking a read one again keeps its "
    "first read time.",
)
def read_notification(request: HttpRequest, notification_id: int) -> Any:
    user = api_user(request)
    notification = get_object_or_404(notifications_for(user), pk=notification_id)
    notifications_mark_read(user=user, ids=[notification.pk])
    return notifications_for(user).get(pk=notification.pk)


@notifications_router.post(
    "/notifications/read-all",
    response=ReadAllOut,
    tags=["notifications"],
    summary="Mark all of the caller's notifications read",
)
def read_all_notifications(request: HttpRequest) -> Any:
    user = api_user(request)
    marked = notifications_mark_read(user=user)
    return {"marked": marked, "unread": notifications_unread_count(user)}
