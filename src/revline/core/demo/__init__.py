"""The demo workspace: a deterministic, realistic history to explore Revline with.

`revline demo` (and `revline run` on an empty database) builds it: 9 people in every role,
10 campaigns across 8 channels with landing pages and tracked links, 300 companies, 2,000
contacts, 20,000 touchpoints over the past year, and 300 deals in two pipelines, about a
quarter won and a fifth lost, so every page and report has real numbers to show. On top come
campaign plans and goals, daily ad spend for the paid campaigns, PR (media contacts, releases,
coverage), a content library, products, bookable reps and creatives for every call to action
(see marketing.py), and the audiences and email (segments, templates, three newsletters sent,
a running nurture sequence, the suppression list and an outbox to read; see audiences.py).

Deterministic: one seeded random generator drives every choice, so two builds hold the same
names, amounts, stages and counts. Times are fixed offsets back from "today" (midnight UTC of
the day it runs, or `today=`): builds on the same day are identical to the second, and a build
on another day is the same story, shifted. Only link tokens and password hashes, which must be
unguessable, differ between builds.

The few records that set the scene (people, pipelines, campaigns, pages, links) go through the
services; the thousands that follow are planned in memory and stored in bulk, shaped exactly as
the services store them (see plan.py).
"""

import random
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from django.apps import apps
from django.db import connection, transaction

from revline.core.database import tables_flush
from revline.sales.models import Deal
from revline.sales.services import close_reasons_ensure_defaults

from . import catalog
from .activities import build_activities
from .audiences import write_audiences
from .competitors import build_competitors
from .deal_page import build_deal_page
from .experiments import build_experiments
from .feedback import build_feedback
from .forecast import build_forecast
from .handoff import build_handoff
from .marketing import write_marketing
from .objections import build_objections
from .plan import DemoSize, Planner
from .predictive import build_predictive
from .quotes import build_quotes
from .research import build_research
from .scoring import build_scoring
from .setup import create_setup
from .surveys import build_surveys
from .write import write_lifecycle, write_people, write_sales, write_timeline, write_tracking

SEED = 20250601
DEMO_PASSWORD = catalog.DEMO_PASSWORD
DEMO_LOGINS: list[tuple[str, str, str]] = [
    (u.username, DEMO_PASSWORD, u.label) for u in catalog.USERS
]
STEPS = 13


def write_sales_workbench(end: datetime, seed: int) -> None:
    """Issue 5's records on top of the demo deals; each area builds its own, deterministically."""
    close_reasons_ensure_defaults()  # the wipe also emptied the list the migration created
    build_deal_page(rng=random.Random(seed + 10), now=end)
    build_activities(rng=random.Random(seed + 11), now=end)
    build_objections(rng=random.Random(seed + 12), now=end)
    build_quotes(rng=random.Random(seed + 13), now=end)
    build_forecast(rng=random.Random(seed + 14), now=end)


def write_handoff(end: datetime, seed: int) -> None:
    """Issue 6's records: scores from the touchpoints, then hand-offs, then the predictive model
    trained on the whole history (it reads what the steps before wrote)."""
    build_scoring(rng=random.Random(seed + 20), now=end)
    build_handoff(rng=random.Random(seed + 21), now=end)
    build_predictive(rng=random.Random(seed + 22), now=end)


def write_research(end: datetime, seed: int) -> dict[str, int]:
    """Issue 8's records and the experiments of issue 7, on top of everything before: battlecards
    first (notes tag competitors), survey answers before the feedback inbox finds its themes."""
    counts: dict[str, int] = {}
    for offset, build in enumerate(
        (build_competitors, build_surveys, build_feedback, build_research, build_experiments)
    ):
        counts.update(build(rng=random.Random(seed + 30 + offset), now=end))
    return counts


class DemoRefused(Exception):
    """The database already holds data, and the caller did not ask to wipe it."""


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class DemoSummary:
    users: int
    campaigns: int
    companies: int
    contacts: int
    visitors: int
    touchpoints: int
    deals: int
    won: int
    lost: int
    activities: int
    timeline_events: int
    seconds: float


class _Progress:
    def __init__(self, stream: _Writable | None) -> None:
        self.stream = stream
        self.step = 0

    def say(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text + "\n")
            flush = getattr(self.stream, "flush", None)
            if callable(flush):
                flush()

    def next(self, label: str) -> None:
        self.step += 1
        self.say(f"[{self.step}/{STEPS}] {label}")

    def count(self, label: str, done: int, total: int) -> None:
        self.say(f"[{self.step}/{STEPS}] {label} {done:,}/{total:,}")


def database_is_empty() -> bool:
    """No users and no business records: safe to fill with the demo."""
    for label in (
        "core.User",
        "people.Company",
        "people.Contact",
        "campaigns.Campaign",
        "sales.Deal",
    ):
        if apps.get_model(label).objects.exists():
            return False
    return True


def demo_wipe() -> None:
    """Empty every Revline table (and any table that points at one), resetting id sequences.

    One TRUNCATE … CASCADE on PostgreSQL, DELETEs on SQLite; sessions go too, so nobody stays
    logged in as a user who no longer exists.
    """
    tables = {
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.name.startswith("revline.")
        for model in config.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    if apps.is_installed("django.contrib.sessions"):
        tables.add("django_session")
    existing = set(connection.introspection.table_names())
    tables_flush(sorted(tables & existing), reset_sequences=True)


def demo_build(
    *,
    progress: bool = False,
    scale: float = 1.0,
    today: date | None = None,
    wipe: bool = False,
    seed: int = SEED,
    stream: _Writable | None = None,
) -> DemoSummary:
    """Build the demo workspace in one transaction: all of it, or nothing.

    Refuses (DemoRefused) when the database holds data, unless `wipe` empties it first.
    `scale` shrinks the workspace (for tests); `progress` writes a line per step to `stream`
    (standard output by default).
    """
    import sys

    started = clock.monotonic()
    report = _Progress((stream or sys.stdout) if progress else None)
    end = datetime.combine(today or datetime.now(UTC).date(), time.min, tzinfo=UTC)
    size = DemoSize.scaled(scale)
    with transaction.atomic():
        if wipe:
            demo_wipe()
        elif not database_is_empty():
            raise DemoRefused("The database already holds data.")
        report.next(f"users and teams: {len(catalog.USERS)} users, {len(catalog.TEAMS)} teams")
        setup = create_setup(end=end)
        links = sum(len(v) for v in setup.links.values())
        report.next(
            f"pipelines and marketing: {len(setup.campaigns)} campaigns, "
            f"{len(setup.pages)} landing pages, {links} tracked links"
        )
        plan = Planner(setup=setup, size=size, seed=seed).build()
        report.next(
            f"history planned: {len(plan.contacts):,} contacts, {len(plan.touchpoints):,} "
            f"touchpoints, {len(plan.deals):,} deals"
        )
        report.next("companies and contacts")
        write_people(plan, report.count)
        report.next("visitors and touchpoints")
        write_tracking(plan, report.count)
        report.next(
            f"consent and lifecycle: {len(plan.consents):,} consents, {len(plan.transitions):,} transitions"
        )
        write_lifecycle(plan)
        report.next("deals, stage history and activities")
        write_sales(plan, report.count)
        report.next("timeline")
        write_timeline(plan, report.count)
        report.next("marketing plans, ad spend, PR, content library and calls to action")
        marketing = write_marketing(setup, seed)
        report.say("      " + ", ".join(f"{n:,} {label}" for label, n in marketing.items()))
        report.next("segments, email templates, newsletters sent, a nurture sequence")
        audiences = write_audiences(setup, seed)
        report.say("      " + ", ".join(f"{n:,} {label}" for label, n in audiences.items()))
        report.next(
            "sales workbench: buying committees, tasks and playbooks, objections, quotes, quotas"
        )
        write_sales_workbench(end, seed)
        report.next("hand-off: lead scores, routing rules, MQLs handed to sales, predictive model")
        write_handoff(end, seed)
        report.next("research and experiments: battlecards, surveys, feedback themes, personas")
        research = write_research(end, seed)
        report.say(
            "      "
            + ", ".join(f"{n:,} {label.replace('_', ' ')}" for label, n in research.items())
        )
    summary = DemoSummary(
        users=len(setup.users),
        campaigns=len(setup.campaigns),
        companies=len(plan.companies),
        contacts=len(plan.contacts),
        visitors=len(plan.visitors),
        touchpoints=len(plan.touchpoints),
        deals=Deal.objects.count(),  # the plan's, and those opened from demo hand-offs
        won=sum(1 for d in plan.deals if d.status == "won"),
        lost=sum(1 for d in plan.deals if d.status == "lost"),
        activities=len(plan.activities),
        timeline_events=len(plan.events),
        seconds=clock.monotonic() - started,
    )
    report.say(
        f"Demo workspace ready in {summary.seconds:.1f} s: {summary.contacts:,} contacts in "
        f"{summary.companies:,} companies, {summary.touchpoints:,} touchpoints, {summary.deals:,} "
        f"deals ({summary.won} won, {summary.lost} lost)."
    )
    return summary
