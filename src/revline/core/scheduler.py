"""Periodic jobs: plain functions that `revline scheduler` calls every few seconds.

`revline serve` starts the scheduler beside the background worker. A job does quick work itself
(find what is due) and enqueues anything long as a background task. Each job runs in turn in one
process, so a job never overlaps itself; a job that raises is logged and tried again next time.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    path: str  # dotted path of a function taking no arguments
    every_seconds: float
    # Sends email (or anything else leaving the workspace): held while outbound traffic is
    # paused, as it is after `revline restore` until an admin resumes it.
    outbound: bool = False


JOBS = [
    # Scheduled emails whose time has come start sending; stale in-flight sends are recovered.
    Job("revline.email.send_services.emails_start_due", 15, outbound=True),
    # Sequences: enrol contacts (segment, score and date triggers) and run the steps that are due.
    Job("revline.email.sequence_services.sequences_tick", 30, outbound=True),
    # Activity reminders whose time has come are emailed to the assigned user, once.
    Job("revline.sales.activity_services.activities_send_reminders", 60, outbound=True),
    # Hand-offs past their SLA are flagged and escalated to the team's manager, once each.
    Job("revline.leads.handoff_services.handoffs_check_breaches", 60, outbound=True),
    # Decayed engagement scores are written back so segments and thresholds see them.
    Job("revline.leads.scoring_services.engagement_decay_refresh", 3600),
    # The predictive model is retrained in the background when the last run is old enough.
    Job("revline.leads.predictive_services.predictive_retrain_if_due", 3600),
    # New touchpoints are folded into the daily pre-aggregates; a nightly rebuild repairs deletes.
    Job("revline.analytics.aggregates.touch_stats_refresh", 60),
    Job("revline.analytics.aggregates.touch_stats_rebuild_nightly", 86400),
    # Weekly report digests go out on each subscriber's weekday, once.
    Job("revline.analytics.digest.digests_send_due", 900, outbound=True),
    # Webhook retries (and first attempts whose task was lost) go to the worker.
    Job("revline.webhooks.services.webhooks_deliver_due", 15, outbound=True),
    # Feedback themes are found again in the background when new feedback has arrived.
    Job("revline.feedback.services.themes_refresh_if_due", 600),
    # Contact imports whose worker died (no chunk written for a while) are queued again.
    Job("revline.people.import_services.contact_imports_resume_stalled", 60),
    # Stored answers to API writes with an Idempotency-Key are kept for a day.
    Job("revline.core.idempotency.idempotency_purge", 3600),
]


def run_due(
    jobs: list[Job],
    last_run: dict[str, float],
    now: float,
    *,
    resolve: Callable[[str], object],
    outbound_paused: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Run every job whose interval has passed since its last run; returns the paths run.
    Outbound jobs wait (and run on the first tick after) while `outbound_paused()`."""
    ran = []
    paused: bool | None = None
    for job in jobs:
        if now - last_run.get(job.path, float("-inf")) < job.every_seconds:
            continue
        if job.outbound:
            if paused is None:
                paused = outbound_paused()
            if paused:
                continue
        last_run[job.path] = now
        ran.append(job.path)
        try:
            function = resolve(job.path)
            assert callable(function)
            function()
        except Exception:
            logger.exception("Periodic job %s failed", job.path)
        finally:
            close_old_connections()
    return ran


def outbound_is_paused() -> bool:
    from revline.core.workspace import workspace_get

    return workspace_get().outbound_paused_at is not None


def run_forever(stop: threading.Event, *, jobs: list[Job] | None = None, tick: float = 1.0) -> None:
    last_run: dict[str, float] = {}
    while not stop.is_set():
        run_due(
            jobs or JOBS,
            last_run,
            time.monotonic(),
            resolve=import_string,
            outbound_paused=outbound_is_paused,
        )
        stop.wait(tick)
