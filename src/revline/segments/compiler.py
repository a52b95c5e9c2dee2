"""A segment definition -> one Q over people.Contact, so that filtering with it is ONE query.

Every condition compiles to a two-valued test (a plain column test, or EXISTS / a COALESCEd
scalar subquery), never to a join that multiplies rows, so `Contact.objects.filter(q)` needs no
DISTINCT and negating a condition never meets SQL's NULL logic. Behaviour conditions are
correlated EXISTS probes that the composite indexes serve (touchpoints on (contact_id,
occurred_at), sends on (contact_id, -queued_at), consent on (contact_id, purpose, -recorded_at)).

Text tests are case-insensitive for ASCII letters on both databases (SQLite folds only ASCII);
country codes are compared exactly, upper-case, as the people services store them.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual
from django.utils import timezone

from revline.content.models import FormSubmission
from revline.email.models import Send, SendState
from revline.people.models import ConsentRecord, ConsentStatus, Contact, Tag
from revline.sales.models import Deal, DealStatus
from revline.tracking.models import Touchpoint, TouchpointKind

from . import definition as defs

# How "at least N page views" is asked (bench/segments.py measures the three on both databases):
# "probe": EXISTS (... LIMIT 1 OFFSET N-1), stops at the N-th matching row of the contact;
# "count": a correlated COUNT(*) subquery; "group": id IN (... GROUP BY contact_id HAVING ...).
PAGE_VISITS_STRATEGIES = ("probe", "count", "group")
PAGE_VISITS_STRATEGY = "probe"


def _day_start(day: str) -> datetime:
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=tz)


def _text_q(path: str, op: str, value: Any, *, nullable_path: str | None) -> Q:
    if op == "eq":
        return Q(**{f"{path}__iexact": value})
    if op == "neq":
        return ~Q(**{f"{path}__iexact": value})
    if op == "contains":
        return Q(**{f"{path}__icontains": value})
    if op == "not_contains":
        return ~Q(**{f"{path}__icontains": value})
    if op == "starts_with":
        return Q(**{f"{path}__istartswith": value})
    if op == "in":
        q = Q()
        for item in value:
            q |= Q(**{f"{path}__iexact": item})
        return q
    empty = Q(**{path: ""})
    if nullable_path:
        empty |= Q(**{f"{nullable_path}__isnull": True})
    if op == "is_empty":
        return empty
    if op == "not_empty":
        return ~empty
    raise AssertionError(op)


def _field_q(condition: dict[str, Any], now: datetime) -> Q:
    company = condition["type"] == "company"
    name, op = condition["field"], condition["op"]
    value: Any = condition.get("value")
    spec = (defs.COMPANY_FIELDS if company else defs.CONTACT_FIELDS)[name]
    path = f"company__{name}" if company else name
    nullable = "company" if company else None
    if spec.kind == defs.TEXT or (spec.kind != defs.USER and op in defs.NO_VALUE_OPS):
        return _text_q(path, op, value, nullable_path=nullable)
    if spec.kind == defs.USER:
        path = f"{name}_id"
        if op in defs.NO_VALUE_OPS:
            empty = Q(**{f"{path}__isnull": True})
            return empty if op == "is_empty" else ~empty
    if op == "eq":
        return Q(**{path: value})
    if op == "neq":
        return ~Q(**{path: value})
    if op == "in":
        return Q(**{f"{path}__in": value})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{path}__{op}": value})
    if op == "before":
        return Q(**{f"{path}__lt": _day_start(value)})
    if op == "after":
        return Q(**{f"{path}__gte": _day_start(value) + timedelta(days=1)})
    if op == "within_last_days":
        return Q(**{f"{path}__gte": now - timedelta(days=value)})
    if op == "more_than_days_ago":
        return Q(**{f"{path}__lt": now - timedelta(days=value)})
    raise AssertionError(op)


def _page_visits_q(condition: dict[str, Any], now: datetime, strategy: str) -> Q:
    n = condition["min_count"]
    views = Touchpoint.objects.filter(
        kind=TouchpointKind.PAGE_VIEW,
        occurred_at__gte=now - timedelta(days=condition["days"]),
        occurred_at__lte=now,
        url__icontains=condition["url_contains"],
    ).order_by()
    if n == 1 or strategy == "probe":
        return Q(Exists(views.filter(contact_id=OuterRef("pk"))[n - 1 : n]))
    if strategy == "count":
        counted = (
            views.filter(contact_id=OuterRef("pk"))
            .values("contact_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return Q(GreaterThanOrEqual(Coalesce(Subquery(counted), Value(0)), n))
    grouped = (
        views.filter(contact_id__isnull=False)
        .values("contact_id")
        .annotate(n=Count("*"))
        .filter(n__gte=n)
        .values("contact_id")
    )
    return Q(pk__in=grouped)


def _condition_q(condition: dict[str, Any], now: datetime, strategy: str) -> Q:
    kind = condition["type"]
    if kind in ("field", "company"):
        return _field_q(condition, now)
    contact = OuterRef("pk")
    q: Q
    if kind == "tag":
        # Has: id IN (the tag's links), so the database may start from the tag's contacts
        # instead of probing every contact. Has not: NOT EXISTS, never NOT IN, which PostgreSQL
        # runs in quadratic time once the list outgrows work_mem. The tag's id is looked up
        # once (an uncorrelated subquery).
        tag_id = Subquery(Tag.objects.filter(name=condition["tag"]).order_by().values("id")[:1])
        links = Contact.tags.through.objects.filter(tag_id=tag_id)
        if condition["negate"]:
            return ~Q(Exists(links.filter(contact_id=contact)))
        q = Q(pk__in=links.values("contact_id"))
    elif kind == "consent":
        newest = (
            ConsentRecord.objects.filter(contact_id=contact, purpose=condition["purpose"])
            .order_by("-recorded_at", "-pk")
            .values("status")[:1]
        )
        q = Q(Exact(Coalesce(Subquery(newest), Value("")), ConsentStatus.GRANTED.value))
    elif kind == "campaign_touched":
        q = Q(
            Exists(Touchpoint.objects.filter(contact_id=contact, campaign_id=condition["campaign"]))
        )
    elif kind == "campaign_recipient":
        sent = Send.objects.filter(
            contact_id=contact, email__campaign_id=condition["campaign"], state=SendState.SENT
        )
        q = Q(Exists(sent))
    elif kind == "email_clicked":
        clicked = Send.objects.filter(
            contact_id=contact,
            email__campaign_id=condition["campaign"],
            first_clicked_at__isnull=False,
        )
        q = Q(Exists(clicked))
    elif kind == "email_opened":
        opens = Touchpoint.objects.filter(
            contact_id=contact,
            kind=TouchpointKind.EMAIL_OPEN,
            occurred_at__gte=now - timedelta(days=condition["days"]),
            occurred_at__lte=now,
        )
        q = Q(Exists(opens))
    elif kind == "page_visits":
        # Negated, "group" would be a NOT IN: see the tag above.
        q = _page_visits_q(condition, now, "probe" if condition["negate"] else strategy)
    elif kind == "open_deal":
        deals = Deal.objects.filter(contact_id=contact, status=DealStatus.OPEN)
        if condition["stage"] is not None:
            deals = deals.filter(stage_id=condition["stage"])
        q = Q(Exists(deals))
    elif kind == "form_submitted":
        forms = FormSubmission.objects.filter(contact_id=contact, form_id=condition["form"])
        if condition.get("days"):
            forms = forms.filter(
                submitted_at__gte=now - timedelta(days=condition["days"]), submitted_at__lte=now
            )
        q = Q(Exists(forms))
    else:
        raise AssertionError(kind)
    return ~q if condition.get("negate") else q


# Cheap tests first: SQLite evaluates the WHERE terms in the order given, so a column test
# that rules a contact out spares the subqueries (PostgreSQL orders them by cost itself).
_COST = {"field": 0, "company": 1, "tag": 2, "consent": 2, "open_deal": 2, "form_submitted": 2,
         "campaign_recipient": 3, "email_clicked": 3, "campaign_touched": 4, "email_opened": 4,
         "page_visits": 5}  # fmt: skip


def _cost(node: dict[str, Any]) -> int:
    if defs.is_group(node):
        return max((_cost(child) for child in node["conditions"]), default=0)
    return _COST[node["type"]]


def _group_q(group: dict[str, Any], now: datetime, strategy: str) -> Q:
    q = Q()
    for child in sorted(group["conditions"], key=_cost):
        part = (
            _group_q(child, now, strategy)
            if defs.is_group(child)
            else _condition_q(child, now, strategy)
        )
        if group["match"] == "any":
            q = part if not q else q | part
        else:
            q &= part
    return q


def compile_definition(definition: Any, *, now: datetime | None = None, strategy: str = "") -> Q:
    """The Q of the contacts the definition selects at `now` (default: this moment).

    Validates first: a bad definition raises ValidationError. An empty definition selects every
    contact."""
    checked = defs.validate(definition)
    return _group_q(checked, now or timezone.now(), strategy or PAGE_VISITS_STRATEGY)
