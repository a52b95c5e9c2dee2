from django_tasks import task

from .services import invites_send


@task()
def survey_invites_send_task(distribution_id: int) -> int:
    """Email a distribution's unsent invites (idempotent: sent or claimed invites are skipped)."""
    return invites_send(distribution_id=distribution_id)
