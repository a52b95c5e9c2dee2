"""Reads behind the sales API."""

from django.db.models import Prefetch, QuerySet

from revline.core.models import User

from .models import Activity, Deal, Pipeline, Stage
from .selectors import deals_visible_to


def pipelines_with_stages() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position"))
    ).order_by("-is_default", "name")


def _with_relations() -> QuerySet[Deal]:
    return Deal.objects.select_related(
        "stage", "contact", "company", "owner", "close_reason", "lost_to"
    )


def deals_for_api(user: User) -> QuerySet[Deal]:
    """The deals `user` may see, with what a DealOut touches."""
    return deals_visible_to(user, _with_relations())


def deal_written(pk: int) -> Deal:
    """A deal just written by a permitted actor, re-read with its relations for the answer."""
    return _with_relations().get(pk=pk)


def deal_search(
    *,
    user: User,
    q: str = "",
    status: str | None = None,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Deal]:
    """Deals matching every given filter, ordered by `sort` (a field name, `-` for descending)."""
    deals = deals_for_api(user)
    if q:
        deals = deals.filter(name__icontains=q)
    if status:
        deals = deals.filter(status=status)
    for lookup, value in (
        ("pipeline_id", pipeline_id),
        ("stage_id", stage_id),
        ("owner_id", owner_id),
        ("contact_id", contact_id),
        ("company_id", company_id),
    ):
        if value is not None:
            deals = deals.filter(**{lookup: value})
    descending = "-pk" if sort.startswith("-") else "pk"
    return deals.order_by(sort, descending)


def deal_activities(*, deal: Deal) -> QuerySet[Activity]:
    return deal.activities.select_related("created_by").order_by("-occurred_at", "-pk")
