"""Small helpers the API routes share: the authenticated user and id-to-record lookups."""

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import User

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
