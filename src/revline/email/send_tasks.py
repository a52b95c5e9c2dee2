"""Background delivery of campaign emails (django-tasks; idempotent, safe to run twice)."""

from django_tasks import task

from .send_services import email_deliver


@task()
def email_deliver_task(email_id: int) -> int:
    """Deliver the email's queued sends; returns how many were handed to the server."""
    return email_deliver(email_id=email_id).sent
