"""Writes of the forecast page: a deal's forecast category."""

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.core import permissions
from revline.core.models import User

from .models import Deal, DealStatus, ForecastCategory


@transaction.atomic
def deal_forecast_category_set(*, actor: User, deal: Deal, category: str) -> Deal:
    """Put an open deal in a forecast category (pipeline, best case, commit or omitted).

    Closed deals keep theirs: a won deal counts as won whatever its category.
    """
    permissions.require(
        permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
    )
    if category not in ForecastCategory.values:
        raise ValidationError({"forecast_category": "Choose a forecast category from the list."})
    if deal.status != DealStatus.OPEN:
        raise ValidationError(
            {"forecast_category": "This deal is closed; its forecast category no longer counts."}
        )
    if deal.forecast_category != category:
        deal.forecast_category = category
        deal.save(update_fields=["forecast_category", "updated_at"])
    return deal
