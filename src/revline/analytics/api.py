"""Reports over the JSON API: the same numbers the report pages show."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from revline.core.api_support import api_user
from revline.core.schemas import ErrorOut

from .schemas import AttributionOut, PeriodFilters
from .selectors import campaign_attribution

router = Router(tags=["reports"])


@router.get(
    "/reports/attribution",
    response={200: AttributionOut, 422: ErrorOut},
    summary="Won revenue credited to campaigns by first-touch, last-touch and linear models",
)
def attribution_report(request: HttpRequest, period: Query[PeriodFilters]) -> Any:
    report = campaign_attribution(
        viewer=api_user(request), closed_from=period.closed_from, closed_to=period.closed_to
    )
    return {
        "closed_from": period.closed_from,
        "closed_to": period.closed_to,
        "currency": report.currency,
        "models": [model.value for model in report.models],
        "won_deals": report.won_deals,
        "won_revenue": report.won_revenue,
        "unattributed_revenue": report.unattributed_revenue,
        "excluded_other_currency": report.excluded_other_currency,
        "campaigns": [
            {
                "campaign_id": row.campaign_id,
                "name": row.name,
                "channel": row.channel,
                "revenue": row.revenue,
                "conversions": row.conversions,
            }
            for row in report.rows
        ],
    }
