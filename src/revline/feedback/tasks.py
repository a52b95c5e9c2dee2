"""Background task of the feedback inbox: one theme run, queued by services.themes_request."""

from django_tasks import task

from . import services


@task()
def themes_run_task(run_id: int) -> None:
    services.themes_run(run_id=run_id)
