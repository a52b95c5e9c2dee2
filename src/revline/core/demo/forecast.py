"""Demo quotas and forecast categories, on top of the demo's deals (run after write_sales).

Quotas: every rep and manager gets a monthly quota for the last twelve months and on to the end
of the next quarter, and a quarterly quota (the sum of its months) for every quarter planned in full, sized from what they
actually won (so attainment lands around 60-130 %). Forecast categories: late-stage deals
closing within 45 days are mostly commit, mid-stage ones best case, the rest pipeline.
"""

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from revline.core.models import Role, User
from revline.sales.forecast import add_months, period_bounds
from revline.sales.models import Deal, DealStatus, ForecastCategory, Quota, QuotaPeriod, StageKind

ROUND_TO = Decimal("500")
FLOOR = Decimal("5000")
COMMIT_WITHIN_DAYS = 45


def _rounded(amount: Decimal) -> Decimal:
    return max(FLOOR, (amount / ROUND_TO).quantize(Decimal("1")) * ROUND_TO)


def build_forecast(*, rng: random.Random, now: datetime) -> None:
    today = now.date()
    sellers = list(
        User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER]).order_by(
            "pk"
        )
    )
    this_month, _ = period_bounds("month", today)
    first_month = add_months(this_month, -11)
    won: dict[int, Decimal] = defaultdict(Decimal)
    for owner_id, amount in Deal.objects.filter(
        status=DealStatus.WON, closed_at__date__gte=first_month, owner__isnull=False
    ).values_list("owner_id", "amount_base"):
        won[owner_id] += amount
    next_quarter = period_bounds("quarter", today)[1]
    last = add_months(next_quarter, 3)
    months: list[date] = []
    while (start := add_months(first_month, len(months))) < last:
        months.append(start)
    quotas = []
    for seller in sellers:
        monthly = _rounded(won[seller.pk] / 12 * Decimal(rng.uniform(0.9, 1.3)))
        by_quarter: dict[date, list[Decimal]] = defaultdict(list)
        for start in months:
            wobble = Decimal(rng.choice(["0.9", "1", "1", "1.1", "1.2"]))
            amount = _rounded(monthly * wobble)
            by_quarter[period_bounds("quarter", start)[0]].append(amount)
            quotas.append(
                Quota(user=seller, period=QuotaPeriod.MONTH, period_start=start, amount=amount)
            )
        # A quarterly quota wherever the three months are planned: their sum.
        quotas.extend(
            Quota(
                user=seller,
                period=QuotaPeriod.QUARTER,
                period_start=start,
                amount=sum(amounts, Decimal("0")),
            )
            for start, amounts in by_quarter.items()
            if len(amounts) == 3
        )
    Quota.objects.filter(user__in=sellers).delete()
    Quota.objects.bulk_create(quotas)

    categories: dict[str, list[int]] = defaultdict(list)
    soon = today + timedelta(days=COMMIT_WITHIN_DAYS)
    for pk, probability, close in (
        Deal.objects.filter(status=DealStatus.OPEN, stage__kind=StageKind.OPEN)
        .order_by("pk")
        .values_list("pk", "stage__probability", "expected_close_date")
    ):
        roll = rng.random()
        category: str
        if probability >= 70 and close is not None and close <= soon:
            category = ForecastCategory.COMMIT if roll < 0.85 else ForecastCategory.BEST_CASE
        elif probability >= 40:
            category = ForecastCategory.BEST_CASE if roll < 0.8 else ForecastCategory.PIPELINE
        else:
            category = ForecastCategory.PIPELINE if roll < 0.95 else ForecastCategory.OMITTED
        categories[category].append(pk)
    for category, pks in categories.items():
        Deal.objects.filter(pk__in=pks).update(forecast_category=category)
