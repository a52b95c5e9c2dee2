"""Background tasks of contact imports: the dry run and the import, each one pass over the file."""

from django_tasks import task

from . import import_services


@task()
def contact_import_check_task(import_id: int) -> None:
    import_services.contact_import_check(import_id=import_id)


@task()
def contact_import_run_task(import_id: int) -> None:
    import_services.contact_import_run(import_id=import_id)
