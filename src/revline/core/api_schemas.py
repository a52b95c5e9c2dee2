"""API schemas for users, teams and the caller's API tokens (the admin area)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints

from .models import Role
from .schemas import Email, InputSchema, Name100, PatchSchema, TeamRef, Text150, Text200

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=r"^[\w.@+-]+$"),
    Field(description="Letters, digits and @ . + - _"),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]


def _present(value: str) -> str:
    if not value:
        raise ValueError("Enter an email address.")
    return value


RequiredEmail = Annotated[Email, AfterValidator(_present)]
UserSort = Literal[
    "username", "-username", "last_name", "-last_name", "email", "-email", "role", "-role",
    "date_joined", "-date_joined",
]  # fmt: skip
TeamSort = Literal["name", "-name", "created_at", "-created_at"]
TokenSort = Literal["created_at", "-created_at", "last_used_at", "-last_used_at", "name", "-name"]


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: Role
    team: TeamRef | None
    is_active: bool
    two_factor_enabled: bool | None = Field(
        description="Whether the user signs in with a second factor; null unless you are an admin"
    )
    date_joined: datetime
    last_login: datetime | None

    @staticmethod
    def resolve_two_factor_enabled(obj: Any) -> bool | None:
        return getattr(obj, "has_two_factor", None)


class UserIn(InputSchema):
    """A new user. Without a password the user sets one through "Forgot password"."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "ada",
                    "email": "ada@example.com",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "role": "sales_rep",
                    "team_id": 1,
                    "password": "a-long-and-unusual-passphrase",
                }
            ]
        },
    )

    username: Username
    email: RequiredEmail
    first_name: Text150 = ""
    last_name: Text150 = ""
    role: Role
    team_id: int | None = None
    password: Password | None = Field(
        None, description="Checked by the password rules (length, common, similar to the name)"
    )


class UserPatch(PatchSchema):
    """Role, team and status; `null` clears `team_id`. Nobody changes their own role."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "sales_manager", "team_id": 2}]}
    )
    clearable = frozenset({"team_id"})

    role: Role | None = None
    team_id: int | None = None
    is_active: bool | None = None


class UserFilters(Schema):
    q: Text200 = Field("", description="Matches username, name or email")
    role: Role | None = None
    team_id: int | None = None
    is_active: bool | None = None
    sort: UserSort = "username"


class TeamOut(Schema):
    id: int
    name: str
    member_count: int
    created_at: datetime


class TeamIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "EMEA"}]})

    name: Name100


class TeamPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "EMEA North"}]}
    )

    name: Name100 | None = None


class TeamFilters(Schema):
    q: Text200 = ""
    sort: TeamSort = "name"


class TokenOut(Schema):
    """A token as listed: its value is never shown again after creation."""

    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenFilters(Schema):
    active: bool | None = Field(None, description="true: not revoked; false: revoked")
    sort: TokenSort = "-created_at"
