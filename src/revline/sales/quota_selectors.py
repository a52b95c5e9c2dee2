"""Reads for the quotas page: a year's grid of quotas per rep, with what each rep won."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from revline.core import permissions
from revline.core.models import Role, User

from . import selectors
from .forecast import add_months, period_bounds, period_label
from .forecast_selectors import local_midnight
from .models import Deal, DealStatus, Quota, QuotaPeriod


@dataclass(frozen=True)
class QuotaCell:
    start: date
    amount: Decimal | None
    won: Decimal
    attainment: Decimal | None
    name: str  # the form field's name


@dataclass(frozen=True)
class QuotaRow:
    user: User
    cells: list[QuotaCell]
    editable: bool
    total_quota: Decimal
    total_won: Decimal


@dataclass(frozen=True)
class QuotaGrid:
    year: int
    period: str
    columns: list[tuple[date, str]]
    rows: list[QuotaRow]
    can_edit: bool
    currency: str


def field_name(user_id: int, start: date) -> str:
    return f"amount-{user_id}-{start.isoformat()}"


def period_starts(year: int, period: str) -> list[date]:
    step = 3 if period == QuotaPeriod.QUARTER else 1
    return [add_months(date(year, 1, 1), n) for n in range(0, 12, step)]


def quota_people(actor: User) -> QuerySet[User]:
    """The sellers whose quotas `actor` may read: admins and marketers all, a manager their
    team, a rep themselves."""
    sellers = User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    if permissions.is_admin(actor) or actor.role not in permissions.SALES_ROLES:
        return sellers
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return sellers.filter(Q(team_id=actor.team_id) | Q(pk=actor.pk))
    return User.objects.filter(pk=actor.pk)


def quota_grid(*, actor: User, year: int, period: str) -> QuotaGrid:
    """Quotas and won revenue (deals visible to `actor`) per person and period, in 3 queries."""
    starts = period_starts(year, period)
    people = list(quota_people(actor).select_related("team"))
    ids = [p.pk for p in people]
    quotas = {
        (user_id, start): amount
        for user_id, start, amount in Quota.objects.filter(
            user_id__in=ids, period=period, period_start__year=year
        ).values_list("user_id", "period_start", "amount")
    }
    won: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    year_start, year_end = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    for owner_id, closed_at, amount_base in (
        selectors.deals_visible_to(actor, Deal.objects.all())
        .filter(
            owner_id__in=ids,
            status=DealStatus.WON,
            closed_at__gte=year_start,
            closed_at__lt=year_end,
        )
        .values_list("owner_id", "closed_at", "amount_base")
    ):
        start = period_bounds(period, timezone.localdate(closed_at))[0]
        won[(owner_id, start)] += amount_base
    rows = []
    for person in people:
        cells = []
        for start in starts:
            amount = quotas.get((person.pk, start))
            got = won.get((person.pk, start), Decimal("0"))
            cells.append(
                QuotaCell(
                    start=start,
                    amount=amount,
                    won=got,
                    attainment=(got * 100 / amount).quantize(Decimal("1")) if amount else None,
                    name=field_name(person.pk, start),
                )
            )
        rows.append(
            QuotaRow(
                user=person,
                cells=cells,
                editable=permissions.can_set_quota(actor, person),
                total_quota=sum((c.amount or Decimal("0") for c in cells), Decimal("0")),
                total_won=sum((c.won for c in cells), Decimal("0")),
            )
        )
    return QuotaGrid(
        year=year,
        period=period,
        columns=[(s, period_label(period, s)) for s in starts],
        rows=rows,
        can_edit=any(r.editable for r in rows),
        currency=settings.CURRENCY,
    )
