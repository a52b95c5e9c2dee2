"""Reads behind the feedback API: the filtered inbox and topics counted over visible items."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from revline.core.models import User

from .models import FeedbackItem, Topic
from .selectors import FeedbackFilters, feedback_for_export, feedback_visible_to


def feedback_for_api(user: User) -> QuerySet[FeedbackItem]:
    return feedback_visible_to(user).select_related(
        "topic", "contact", "company", "deal", "created_by"
    )


def feedback_search(
    *, user: User, filters: FeedbackFilters, query: str = "", sort: str = "-occurred_at"
) -> QuerySet[FeedbackItem]:
    """The inbox as the caller may see it: the same filters and search as the page."""
    items = feedback_for_export(user=user, filters=filters, query=query)
    items = items.select_related("topic", "contact", "company", "deal", "created_by")
    return items.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def topics_for_api(user: User) -> QuerySet[Topic]:
    """Topics with `item_count`: how many of their items the user may see (team-only deal
    rules)."""
    visible = (
        feedback_visible_to(user)
        .filter(topic=OuterRef("pk"))
        .order_by()
        .values("topic")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Topic.objects.annotate(
        item_count=Coalesce(Subquery(visible, output_field=IntegerField()), 0)
    )
