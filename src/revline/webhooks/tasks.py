from django_tasks import task

from .services import delivery_attempt


@task()
def webhook_deliver_task(delivery_id: int, token: str | None = None) -> str | None:
    """One attempt at a webhook delivery (idempotent: a delivery not due is left alone)."""
    return delivery_attempt(delivery_id=delivery_id, token=token)
