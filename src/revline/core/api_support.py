"""Small helpers the API routes share: the authenticated user and id-to-record lookups."""

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Status

from .models import User
from .visibility import ObjectType, visible_owner_ids

M = TypeVar("M", bound=Model)


def api_user(request: HttpRequest) -> User:
    """The token's user; every route runs behind BearerToken, so this is always set."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def related_or_422(queryset: QuerySet[M], pk: int | None, *, field: str) -> M | None:
    """The record a body field points to; an unknown id is a 422 naming that field."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        noun = queryset.model._meta.verbose_name
        raise ValidationError({field: f"There is no {noun} with id {pk}."})
    return found


def active_user_or_422(pk: int | None, *, field: str = "owner_id") -> User | None:
    return related_or_422(User.objects.filter(is_active=True), pk, field=field)


def split_relations(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """Pop `<name>_id` keys that were sent, leaving plain fields in `data`."""
    return {name: data.pop(f"{name}_id") for name in names if f"{name}_id" in data}


HIDDEN_NAMES: dict[ObjectType, str] = {
    "contact": "A contact of another team",
    "company": "A company of another team",
}


def hidden_from_reader(context: Any, record: Any, object_type: ObjectType) -> bool:
    """Whether the API reader may not see `record` (a contact or company embedded in another
    record's answer). The owners whose records the reader sees are read once per request."""
    request = (context or {}).get("request")
    user = getattr(request, "auth", None)
    owner_id = getattr(record, "owner_id", None)
    if not isinstance(user, User) or owner_id is None:
        return False
    cache: dict[str, frozenset[int] | None] = request.__dict__.setdefault(
        "_revline_visible_owners", {}
    )
    if object_type not in cache:
        cache[object_type] = visible_owner_ids(user, object_type)
    owners = cache[object_type]
    return owners is not None and owner_id not in owners


def state_conflict(exc: ValidationError) -> Any:
    """A service refusal about the record's state (already sent, in use): 409 with its reason."""
    return Status(409, {"detail": " ".join(exc.messages)})
