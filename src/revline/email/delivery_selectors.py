"""Reads of the deliverability area: the suppression list, topics, the preference centre."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count
from django.http import HttpRequest

from revline.core.listing import Column, Listing, build_listing

from .models import Send, Suppression, SuppressionReason, Topic, TopicOptOut

SUPPRESSION_COLUMNS = (
    Column("address", "Address", "address"),
    Column("reason", "Reason", "reason"),
    Column("source", "Source"),
    Column("created_at", "Added", "created_at"),
    Column("actions", ""),
)
TOPIC_COLUMNS = (
    Column("name", "Topic", "name"),
    Column("description", "Description"),
    Column("opt_outs", "Opted out", "opt_out_count"),
    Column("emails", "Emails", "email_count"),
    Column("actions", ""),
)
# Cells a spreadsheet would run as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def send_by_token(token: str) -> Send | None:
    if not token or len(token) > 64:
        return None
    return Send.objects.select_related("email", "contact").filter(token=token).first()


def suppression_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        Suppression.objects.select_related("send__email"),
        columns=SUPPRESSION_COLUMNS,
        search_fields=("address", "source"),
        filters={"reason": "reason"},
        default_sort="-created_at",
    )


def suppression_counts() -> dict[str, int]:
    counts = {reason.value: 0 for reason in SuppressionReason}
    for row in Suppression.objects.values("reason").annotate(n=Count("pk")):
        counts[row["reason"]] = row["n"]
    return counts


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def suppression_csv_rows(*, query: str = "", reason: str = "") -> Iterator[list[str]]:
    """The header and one row per suppressed address, formula-looking cells neutralised."""
    yield ["address", "reason", "source", "added_at"]
    rows = Suppression.objects.order_by("address")
    if query:
        rows = rows.filter(address__icontains=query[:200])
    if reason:
        rows = rows.filter(reason=reason)
    for row in rows.values_list("address", "reason", "source", "created_at").iterator(2000):
        address, why, source, created_at = row
        yield [_cell(address), why, _cell(source), created_at.isoformat()]


def topic_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        Topic.objects.annotate(
            opt_out_count=Count("opt_outs", distinct=True),
            email_count=Count("emails", distinct=True),
        ),
        columns=TOPIC_COLUMNS,
        search_fields=("name", "description"),
        default_sort="name",
    )


@dataclass(frozen=True)
class TopicChoice:
    topic: Topic
    subscribed: bool


@dataclass(frozen=True)
class Preferences:
    send: Send
    topics: list[TopicChoice]
    unsubscribed: bool  # the address is on the suppression list (any reason)


def preferences_for(send: Send) -> Preferences:
    left = set(
        TopicOptOut.objects.filter(contact_id=send.contact_id).values_list("topic_id", flat=True)
    )
    topics = [TopicChoice(topic=t, subscribed=t.pk not in left) for t in Topic.objects.all()]
    unsubscribed = Suppression.objects.filter(address=send.to_address.lower()).exists()
    return Preferences(send=send, topics=topics, unsubscribed=unsubscribed)
