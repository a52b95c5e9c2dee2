"""API schemas for reports."""

from datetime import date

from ninja import Field, Schema
from pydantic import ValidationInfo, field_validator

from revline.core.schemas import MoneyOut


class PeriodFilters(Schema):
    closed_from: date | None = Field(None, description="First close date included (YYYY-MM-DD)")
    closed_to: date | None = Field(None, description="Last close date included (YYYY-MM-DD)")

    @field_validator("closed_to")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("closed_from")
        if start and end and end < start:
            raise ValueError("closed_to must not be before closed_from.")
        return end


class CampaignAttributionOut(Schema):
    campaign_id: int
    name: str
    channel: str = Field(..., description="The channel's label")
    revenue: dict[str, MoneyOut] = Field(..., description="Credited revenue per model")
    conversions: dict[str, float] = Field(..., description="Credited conversions per model")


class AttributionOut(Schema):
    closed_from: date | None
    closed_to: date | None
    currency: str
    models: list[str]
    won_deals: int
    won_revenue: MoneyOut
    unattributed_revenue: dict[str, MoneyOut]
    excluded_other_currency: int = Field(..., description="Won deals left out for another currency")
    campaigns: list[CampaignAttributionOut] = Field(..., description="Highest linear revenue first")
