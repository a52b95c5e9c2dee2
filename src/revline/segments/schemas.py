"""API schemas for segments. A definition is the JSON tree described in segments/definition.py."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from revline.core.schemas import InputSchema, LongText, Name200, PatchSchema, Text200, UserRef

DEFINITION_HELP = (
    'The condition tree: {"match": "all" | "any", "conditions": [condition | group, ...]}. '
    'A condition is e.g. {"type": "field", "field": "country", "op": "eq", "value": "DE"} or '
    '{"type": "page_visits", "url_contains": "/pricing", "min_count": 3, "days": 30}; see '
    "docs/segments.md for every type."
)


class DefinitionIn(InputSchema):
    definition: dict[str, Any] = Field(..., description=DEFINITION_HELP)


class SegmentIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "German leads",
                    "definition": {
                        "match": "all",
                        "conditions": [
                            {"type": "field", "field": "country", "op": "eq", "value": "DE"}
                        ],
                    },
                }
            ]
        },
    )

    name: Name200
    description: LongText = ""
    definition: dict[str, Any] = Field(..., description=DEFINITION_HELP)


class SegmentPatch(PatchSchema):
    name: Name200 | None = None
    description: LongText | None = None
    definition: dict[str, Any] | None = Field(None, description=DEFINITION_HELP)


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: dict[str, Any]
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class SegmentFilters(Schema):
    q: Text200 = Field("", description="Matches the name or description")
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = (
        "name"
    )


class CountOut(Schema):
    count: int = Field(..., description="Contacts in the segment at the time of the request")
