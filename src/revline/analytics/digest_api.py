"""The weekly digest subscription over the JSON API, through the services the settings page
uses: the caller's own under /me/digest (no scope needed, like /me), and everyone's under
/digest-subscriptions (the analytics area), where only admins manage other people."""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from revline.core.api_support import api_user
from revline.core.models import User
from revline.core.schemas import ErrorOut, InputSchema, LimitOffset, UserRef, example

from . import digest
from .models import DigestSubscription

me_router = Router(tags=["me"])
router = Router(tags=["digest"])

WEEKDAY_NAMES = dict(digest.WEEKDAYS)
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class DigestOut(Schema):
    """The caller's subscription; `subscribed` false and the rest null when there is none."""

    subscribed: bool
    weekday: int | None = Field(description="0 = Monday … 6 = Sunday", examples=[0])
    weekday_name: str | None = Field(examples=["Monday"])
    send_hour: int = Field(description="Local hour from which the digest goes out that day")
    last_sent_at: datetime | None = Field(description="When the last digest went out")


class DigestIn(InputSchema):
    model_config = example({"weekday": 0})

    weekday: Weekday


class DigestSubscriptionOut(Schema):
    user: UserRef
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    weekday_name: str
    last_sent_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_weekday_name(obj: DigestSubscription) -> str:
        return WEEKDAY_NAMES.get(obj.weekday, "")


class DigestSubscriptionFilters(Schema):
    q: str = Field("", max_length=200, description="Part of the person's name or email")
    weekday: Weekday | None = Field(None, description="Only subscriptions sent on this day")


def _own(user: User) -> dict[str, Any]:
    subscription = digest.digest_subscription_of(user)
    if subscription is None:
        return {
            "subscribed": False,
            "weekday": None,
            "weekday_name": None,
            "send_hour": digest.SEND_HOUR,
            "last_sent_at": None,
        }
    return {
        "subscribed": True,
        "weekday": subscription.weekday,
        "weekday_name": WEEKDAY_NAMES.get(subscription.weekday, ""),
        "send_hour": digest.SEND_HOUR,
        "last_sent_at": subscription.last_sent_at,
    }


# --- the caller's own ---------------------------------------------------------------------------


@me_router.get("/me/digest", response=DigestOut, summary="The caller's weekly digest subscription")
def get_own_digest(request: HttpRequest) -> Any:
    return _own(api_user(request))


@me_router.put(
    "/me/digest",
    response={200: DigestOut, 422: ErrorOut},
    summary="Subscribe the caller to the weekly digest, or change its day",
    description="Subscribing again only changes the day (and keeps the last send, so a changed "
    "day never sends twice in a week). The caller needs an email address: otherwise 422.",
)
def put_own_digest(request: HttpRequest, payload: DigestIn) -> Any:
    user = api_user(request)
    digest.digest_subscribe(actor=user, user=user, weekday=payload.weekday)
    return _own(user)


@me_router.delete(
    "/me/digest",
    response={204: None},
    summary="Unsubscribe the caller from the weekly digest (also when not subscribed)",
)
def delete_own_digest(request: HttpRequest) -> Any:
    user = api_user(request)
    digest.digest_unsubscribe(actor=user, user=user)
    return Status(204, None)


# --- everyone's (admins) ------------------------------------------------------------------------


def _subscription_out(user: User) -> DigestSubscription:
    return DigestSubscription.objects.select_related("user").get(user=user, is_active=True)


@router.get(
    "/digest-subscriptions",
    response=list[DigestSubscriptionOut],
    summary="Active digest subscriptions: everyone's for an admin, the caller's own otherwise",
)
@paginate(LimitOffset)
def list_digest_subscriptions(
    request: HttpRequest, filters: Query[DigestSubscriptionFilters]
) -> Any:
    return digest.digest_subscriptions_for(api_user(request), **filters.model_dump())


@router.put(
    "/digest-subscriptions/{int:user_id}",
    response={200: DigestSubscriptionOut, **ERRORS},
    summary="Subscribe a person to the weekly digest, or change its day (admins)",
    description="Anyone may do this for themselves; for another person only an admin (403). "
    "A deactivated person or one without an email address answers 422.",
)
def put_digest_subscription(request: HttpRequest, user_id: int, payload: DigestIn) -> Any:
    user = get_object_or_404(User, pk=user_id)
    digest.digest_subscribe(actor=api_user(request), user=user, weekday=payload.weekday)
    return _subscription_out(user)


@router.delete(
    "/digest-subscriptions/{int:user_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Stop a person's weekly digest (admins; anyone for themselves)",
)
def delete_digest_subscription(request: HttpRequest, user_id: int) -> Any:
    user = get_object_or_404(User, pk=user_id)
    digest.digest_unsubscribe(actor=api_user(request), user=user)
    return Status(204, None)
