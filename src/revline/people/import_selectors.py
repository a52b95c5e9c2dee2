"""Reads for imports and exports: the import list, one import, the lists behind the exports."""

from collections.abc import Collection

from django.db.models import QuerySet
from django.http import HttpRequest

from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User

from . import selectors
from .models import Company, Contact, ContactImport

IMPORT_COLUMNS = (
    Column("file", "File", "file_name"),
    Column("kind", "Kind", "kind"),
    Column("status", "Status", "status"),
    Column("rows", "Rows", "rows_total"),
    Column("by", "By", "created_by__username"),
    Column("created", "Uploaded", "created_at"),
)
IMPORT_FILTERS = {"status": "status", "kind": "kind"}


def contact_import_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        ContactImport.objects.select_related("created_by"),
        columns=IMPORT_COLUMNS,
        search_fields=("file_name",),
        filters=IMPORT_FILTERS,
        default_sort="-created",
    )


def contact_import_get(*, pk: int) -> ContactImport | None:
    return ContactImport.objects.select_related("created_by").filter(pk=pk).first()


def contact_export_queryset(
    request: HttpRequest, *, viewer: User, skip_filters: Collection[str] = ()
) -> QuerySet[Contact]:
    """The contacts of the list page with the same search, filters and sort, unpaginated: only
    those `viewer` may see."""
    listing = selectors.contact_listing(request, viewer=viewer, skip_filters=skip_filters)
    queryset: QuerySet[Contact] = listing.page.paginator.object_list  # type: ignore[assignment]
    return queryset


def company_export_queryset(
    request: HttpRequest, *, viewer: User, skip_filters: Collection[str] = ()
) -> QuerySet[Company]:
    listing = selectors.company_listing(request, viewer=viewer, skip_filters=skip_filters)
    queryset: QuerySet[Company] = listing.page.paginator.object_list  # type: ignore[assignment]
    return queryset
