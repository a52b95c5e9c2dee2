"""Field types and schemas shared by every app's API: text limits, email, money, pagination."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase
from pydantic import (
    AfterValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from . import cursor
from .models import Role

CENT = Decimal("0.01")
MAX_PAGE_SIZE = 200


def _trimmed(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Text50 = Annotated[str, _trimmed(50)]
Text100 = Annotated[str, _trimmed(100)]
Text150 = Annotated[str, _trimmed(150)]
Text200 = Annotated[str, _trimmed(200)]
LongText = Annotated[str, _trimmed(10_000)]
# Required and not blank:
Name100 = Annotated[str, _trimmed(100, 1)]
Name200 = Annotated[str, _trimmed(200, 1)]
Reason = Annotated[str, _trimmed(300, 1)]


def _check_email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("Enter a valid email address.") from exc
    return value.lower()


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# Blank is allowed: a contact may be known by name only.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_check_email)
]
CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^([A-Za-z]{2})?$"),
    Field(description="ISO 3166-1 alpha-2 code, or empty"),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 code, e.g. EUR"),
]
MoneyIn = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, description='A decimal amount, e.g. "1250.00"'),
]
MoneyOut = Annotated[
    Decimal, PlainSerializer(lambda d: str(d.quantize(CENT)), return_type=str, when_used="always")
]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
TagList = Annotated[list[TagName], Field(max_length=50)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class InputSchema(Schema):
    """Request bodies reject unknown fields, so a typo (or `id`, `created_at`) is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


def example(values: dict[str, Any]) -> ConfigDict:
    """An input schema's config with one example body for the OpenAPI document."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


class PatchSchema(InputSchema):
    """A partial update: only the fields sent are applied (read them with `exclude_unset`).

    Fields are typed `X | None` so they may be left out; an explicit `null` is accepted only for
    the fields in `clearable` (a relation or a date that may be emptied).
    """

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("This field cannot be null; leave it out to keep its value.")
        return value


class UserRef(Schema):
    id: int
    name: str
    email: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class TeamRef(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: Role
    team: TeamRef | None
    is_admin: bool
    can_manage_marketing: bool
    can_create_deals: bool


class ErrorOut(Schema):
    detail: Any


class LimitOffset(PaginationBase):
    """`?limit=` with `?offset=` or `?cursor=`; the response carries the total count of matching
    records and `next_cursor` for the page after this one (null on the last page)."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=10_000_000)
        cursor: str | None = Field(
            None, max_length=2000, description="`next_cursor` of the previous page"
        )

    class Output(Schema):
        items: list[Any]
        total: int
        limit: int
        offset: int
        next_cursor: str | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, pagination.limit
        if isinstance(queryset, list):  # a few routes page an already computed list
            return {
                "items": queryset[offset : offset + limit],
                "total": len(queryset),
                "limit": limit,
                "offset": offset,
                "next_cursor": None,
            }
        keys = cursor.sort_keys(queryset)
        page_source = queryset if keys is None else cursor.ordered(queryset, keys)
        if pagination.cursor:
            if keys is None:
                raise HttpError(422, "This list cannot be paged with a cursor; use offset.")
            if offset:
                raise HttpError(422, "Send either offset or cursor, not both.")
            try:
                after = cursor.cursor_decode(pagination.cursor, keys)
                page_source = page_source.filter(cursor.after_filter(keys, after))
                rows = list(page_source[: limit + 1])
            except (cursor.CursorInvalid, ValueError, DjangoValidationError) as exc:
                raise HttpError(
                    422, str(exc) or "This cursor is not valid; start again without one."
                ) from exc
        else:
            rows = list(page_source[offset : offset + limit + 1])
        next_cursor = None
        if len(rows) > limit and keys is not None:
            next_cursor = cursor.cursor_encode(keys, cursor.row_values(rows[limit - 1], keys))
        return {
            "items": rows[:limit],
            "total": queryset.count(),
            "limit": limit,
            "offset": offset,
            "next_cursor": next_cursor,
        }
