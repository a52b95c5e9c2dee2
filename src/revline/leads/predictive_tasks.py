"""Background task of predictive scoring: one training run, queued by predictive_services."""

from django_tasks import task

from . import predictive_services


@task()
def predictive_train_task(model_id: int) -> None:
    predictive_services.predictive_train(model_id=model_id)
