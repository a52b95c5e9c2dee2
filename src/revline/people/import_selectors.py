"""Reads for imports and exports: the import list, one import, the lists behind the exports."""

from collections.abc import Collection

from django.db.models import QuerySet
from django.http import HttpRequest
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User

from . import selectors
from .models import Company, Contact, ContactImport, ImportStatus

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


# The background task that runs each pass of an import (people.import_tasks).
PASS_TASKS = {
    ImportStatus.CHECKING: "contact_import_check_task",
    ImportStatus.IMPORTING: "contact_import_run_task",
}


def import_passes_waiting() -> set[tuple[str, int]]:
    """(task name, import id) of the passes still queued, not yet taken by any worker.

    Only the database task queue can tell; a pass waiting there behind a long job (a big send,
    another import) has not stalled, however long it waits. Other queues report nothing."""
    from . import import_tasks

    tasks = {name: getattr(import_tasks, name) for name in PASS_TASKS.values()}
    if not all(isinstance(task.get_backend(), DatabaseBackend) for task in tasks.values()):
        return set()
    names = {task.module_path: name for name, task in tasks.items()}
    waiting = DBTaskResult.objects.filter(status="READY", task_path__in=names)
    return {
        (names[path], call["args"][0])
        for path, call in waiting.values_list("task_path", "args_kwargs")
        if call.get("args")
    }


def import_waiting_for_worker(imp: ContactImport) -> bool:
    """Whether this import's running pass is still queued, not yet taken by a worker."""
    task_name = PASS_TASKS.get(ImportStatus(imp.status))
    return task_name is not None and (task_name, imp.pk) in import_passes_waiting()
