"""Search, sort and paginate a queryset from a list page's query string, the same way everywhere."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest

PAGE_SIZE = 25
MAX_ID = 2**63 - 1  # the largest primary key the databases hold


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order_by: str | None = None  # ORM path used for sorting; None means not sortable


@dataclass
class Listing:
    page: Page
    query: str
    sort: str
    columns: Sequence[Column]
    params: dict[str, str]

    def url_with(self, **changes: Any) -> str:
        params = {**self.params, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
        for key, value in changes.items():
            if value in (None, ""):
                params.pop(key, None)
        return "?" + urlencode(params)

    def sort_links(self) -> list[dict[str, Any]]:
        links = []
        for column in self.columns:
            current = self.sort.lstrip("-") == column.key
            descending = self.sort.startswith("-")
            next_sort = f"-{column.key}" if current and not descending else column.key
            links.append(
                {
                    "label": column.label,
                    "sortable": column.order_by is not None,
                    "url": self.url_with(sort=next_sort, page=None),
                    "direction": ("desc" if descending else "asc") if current else "",
                }
            )
        return links

    def page_url(self, number: int) -> str:
        return self.url_with(page=number)


def build_listing(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    columns: Sequence[Column],
    search_fields: Sequence[str] = (),
    filters: Mapping[str, str] | None = None,
    default_sort: str,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """Apply `?q=` (icontains over search_fields), `filters` (query param -> ORM lookup), `?sort=` and `?page=`.

    Unknown sort keys fall back to the default; unknown filter values simply match nothing.
    """
    params: dict[str, str] = {k: str(v) for k, v in request.GET.items() if v}
    query = params.get("q", "").strip()[:200]
    if query and search_fields:
        condition = Q()
        for field in search_fields:
            condition |= Q(**{f"{field}__icontains": query})
        queryset = queryset.filter(condition)
    for param, lookup in (filters or {}).items():
        if value := params.get(param):
            queryset = queryset.filter(**{lookup: value})
    by_key = {c.key: c.order_by for c in columns if c.order_by}
    sort = params.get("sort", default_sort)
    if sort.lstrip("-") not in by_key:
        sort = default_sort
    order_field = by_key.get(sort.lstrip("-"), sort.lstrip("-"))
    assert order_field is not None
    # Empty values sort last both ways, the same on SQLite and PostgreSQL.
    ordering = (
        F(order_field).desc(nulls_last=True)
        if sort.startswith("-")
        else F(order_field).asc(nulls_last=True)
    )
    queryset = queryset.order_by(ordering, "-pk")
    paginator = Paginator(queryset, page_size)
    page = paginator.get_page(params.get("page"))
    return Listing(page=page, query=query, sort=sort, columns=columns, params=params)
