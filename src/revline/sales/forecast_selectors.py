"""Reads for the forecast page: deal histories, stages and quotas as plain rows for forecast.py.

Every deal read goes through selectors.deals_visible_to(user). The page costs a fixed number
of queries whatever the number of deals: stages, deals, their stage changes, quotas, owners,
and the period's deals as objects (for the edit permission of each row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from revline.core import permissions, visibility
from revline.core.models import RecordVisibility, Role, Team, User

from . import forecast, selectors
from .forecast import (
    Backtest,
    DealHistory,
    Forecast,
    ForecastDeal,
    StageCalibration,
    StageDef,
)
from .models import Deal, DealStageChange, DealStatus, Pipeline, Quota, QuotaPeriod, Stage

BACKTEST_PERIODS = {QuotaPeriod.MONTH: 6, QuotaPeriod.QUARTER: 4}


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def stage_defs(pipeline: Pipeline | None = None) -> list[StageDef]:
    stages = Stage.objects.order_by("pipeline_id", "position")
    if pipeline is not None:
        stages = stages.filter(pipeline=pipeline)
    return [
        StageDef(
            stage_id=row["pk"],
            pipeline_id=row["pipeline_id"],
            name=row["name"],
            position=row["position"],
            probability=row["probability"],
            kind=row["kind"],
        )
        for row in stages.values("pk", "pipeline_id", "name", "position", "probability", "kind")
    ]


@dataclass(frozen=True)
class DealRow:
    history: DealHistory
    forecast: ForecastDeal
    team_id: int | None


def _converted(row: Mapping[str, Any]) -> bool:
    return bool(row["currency"] == settings.CURRENCY or row["amount_base"] or not row["amount"])


def deal_rows(user: User, *, pipeline: Pipeline | None = None) -> list[DealRow]:
    """Every deal `user` may see (in `pipeline`), with its stage changes, in two queries."""
    deals = selectors.deals_visible_to(user, Deal.objects.all())
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    changes: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for deal_id, changed_at, stage_id in (
        DealStageChange.objects.filter(deal_id__in=deals.values("pk"))
        .order_by("deal_id", "changed_at", "pk")
        .values_list("deal_id", "changed_at", "to_stage_id")
    ):
        changes[deal_id].append((changed_at, stage_id))
    rows = []
    for row in deals.order_by().values(
        "pk",
        "pipeline_id",
        "stage_id",
        "owner_id",
        "owner__team_id",
        "status",
        "amount",
        "amount_base",
        "currency",
        "created_at",
        "closed_at",
        "expected_close_date",
        "forecast_category",
    ):
        closed_at = row["closed_at"]
        rows.append(
            DealRow(
                history=DealHistory(
                    deal_id=row["pk"],
                    pipeline_id=row["pipeline_id"],
                    owner_id=row["owner_id"],
                    status=row["status"],
                    amount_base=row["amount_base"],
                    created_at=row["created_at"],
                    closed_at=closed_at,
                    expected_close_date=row["expected_close_date"],
                    changes=tuple(changes.get(row["pk"], ())),
                ),
                forecast=ForecastDeal(
                    deal_id=row["pk"],
                    owner_id=row["owner_id"],
                    stage_id=row["stage_id"],
                    status=row["status"],
                    amount_base=row["amount_base"],
                    converted=_converted(row),
                    category=row["forecast_category"],
                    expected_close_date=row["expected_close_date"],
                    closed_on=timezone.localdate(closed_at) if closed_at else None,
                ),
                team_id=row["owner__team_id"],
            )
        )
    return rows


def quota_owner_filter(user: User) -> Q:
    """Whose quotas `user` may read: those of the people whose deals they may see."""
    return visibility.users_q(user, "deal", prefix="user__")


def sellers_visible_to(user: User) -> QuerySet[User]:
    """The people the owner filter offers: sellers whose deals `user` may see."""
    sellers = User.objects.filter(
        Q(role__in=[Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN]) | Q(is_superuser=True)
    ).filter(visibility.users_q(user, "deal"), is_active=True)
    return sellers.order_by("first_name", "last_name", "username")


def teams_visible_to(user: User) -> QuerySet[Team]:
    scope = visibility.scope_for(user, "deal")
    if scope == RecordVisibility.ALL:
        return Team.objects.all()
    if scope == RecordVisibility.TEAM and user.team_id:
        return Team.objects.filter(pk=user.team_id)
    return Team.objects.none()


@dataclass(frozen=True)
class PeriodChoice:
    kind: str  # "month", "quarter" or "custom"
    start: date
    end: date  # exclusive
    label: str

    @property
    def last_day(self) -> date:
        from datetime import timedelta

        return self.end - timedelta(days=1)


@dataclass(frozen=True)
class RepRow:
    user: User | None
    quota: Decimal | None
    attainment: Decimal | None
    bar: int  # attainment capped at 100, for the bar width
    figures: forecast.Figures


@dataclass(frozen=True)
class PeriodDeal:
    deal: Deal
    amount_base: Decimal
    converted: bool
    configured: Decimal | None  # percent, for open deals
    calibrated: Decimal | None
    can_edit: bool


@dataclass(frozen=True)
class ForecastPage:
    period: PeriodChoice
    forecast: Forecast
    reps: list[RepRow]
    calibration: list[StageCalibration]
    pipelines: dict[int, str]
    deals: list[PeriodDeal]
    backtest: Backtest
    backtest_kind: str
    currency: str


def _percent_of(probabilities: dict[int, Decimal], deal: Deal) -> Decimal | None:
    if deal.status != DealStatus.OPEN or deal.stage_id not in probabilities:
        return None
    return forecast.percent(probabilities[deal.stage_id])


def forecast_page(
    *,
    user: User,
    period: PeriodChoice,
    pipeline: Pipeline | None = None,
    owner: User | None = None,
    team: Team | None = None,
    now: datetime | None = None,
) -> ForecastPage:
    """The forecast of `period` for the deals `user` may see, narrowed to an owner or team.

    Stage probabilities are calibrated from every visible closed deal of the pipeline(s), not
    only the owner's: one rep's history is too small to say much about a stage.
    """
    now = now or timezone.now()
    stages = stage_defs(pipeline)
    by_stage = {s.stage_id: s for s in stages}
    rows = deal_rows(user, pipeline=pipeline)
    histories = [r.history for r in rows]
    calibration = forecast.calibrate(stages, forecast.closed_deals(histories, by_stage))
    configured = {s.stage_id: s.configured for s in stages}
    calibrated = {c.stage.stage_id: c.calibrated for c in calibration}

    def counted(row: DealRow) -> bool:
        if owner is not None and row.history.owner_id != owner.pk:
            return False
        return team is None or row.team_id == team.pk

    chosen = [r for r in rows if counted(r)]
    quotas: dict[int, Decimal] = {}
    if period.kind in (QuotaPeriod.MONTH, QuotaPeriod.QUARTER):
        quota_rows = Quota.objects.filter(
            quota_owner_filter(user), period=period.kind, period_start=period.start
        )
        if owner is not None:
            quota_rows = quota_rows.filter(user=owner)
        if team is not None:
            quota_rows = quota_rows.filter(user__team=team)
        quotas = dict(quota_rows.values_list("user_id", "amount"))
    result = forecast.forecast_period(
        [r.forecast for r in chosen],
        start=period.start,
        end=period.end,
        configured=configured,
        calibrated=calibrated,
        quotas=quotas,
    )
    users = User.objects.in_bulk([r.owner_id for r in result.reps if r.owner_id is not None])
    reps = [
        RepRow(
            user=users.get(r.owner_id) if r.owner_id is not None else None,
            quota=r.quota,
            attainment=r.attainment,
            bar=min(int(r.attainment), 100) if r.attainment is not None else 0,
            figures=r.figures,
        )
        for r in result.reps
    ]
    converted = {d.deal_id: d.converted for d in result.deals}
    period_deals = [
        PeriodDeal(
            deal=deal,
            amount_base=deal.amount_base,
            converted=converted.get(deal.pk, True),
            configured=_percent_of(configured, deal),
            calibrated=_percent_of(calibrated, deal),
            can_edit=permissions.can_edit_deal(user, deal),
        )
        for deal in visibility.with_hidden_flags(
            selectors.deals_visible_to(user, selectors.deals_queryset()), user, company="company"
        )
        .select_related("owner__team")
        .filter(pk__in=list(converted))
        .order_by("status", "expected_close_date", "-amount_base", "pk")
    ]
    backtest_kind = QuotaPeriod.QUARTER if period.kind == QuotaPeriod.QUARTER else QuotaPeriod.MONTH
    windows = forecast.periods_before(
        backtest_kind, timezone.localdate(now), BACKTEST_PERIODS[backtest_kind]
    )
    result_backtest = forecast.backtest(
        histories,
        stages,
        [
            (forecast.period_label(backtest_kind, s), local_midnight(s), local_midnight(e))
            for s, e in windows
        ],
        counted={r.history.deal_id: counted(r) for r in rows},
    )
    return ForecastPage(
        period=period,
        forecast=result,
        reps=reps,
        calibration=calibration,
        pipelines=dict(Pipeline.objects.values_list("pk", "name")),
        deals=period_deals,
        backtest=result_backtest,
        backtest_kind=backtest_kind,
        currency=settings.CURRENCY,
    )
