"""The hand-off's command-line tools: leads-train, leads-rescore and leads-check-sla."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from revline.leads.handoff_services import routing_rule_create
from revline.leads.models import (
    Handoff,
    ModelStatus,
    PredictiveModel,
    ScoreChange,
    TransitionCause,
)
from revline.leads.qualification_services import contact_qualify
from revline.leads.scoring_services import engagement_rule_create, fit_rule_create
from revline.people.models import Contact
from revline.people.services import contact_create
from revline.tracking.services import RequestInfo, touchpoint_record

from .predictive_helpers import NOW as HISTORY_NOW
from .predictive_helpers import history_build

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 10:00 in Berlin; the SLA ends at 12:00 UTC


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


# --- leads-check-sla ----------------------------------------------------------------------------


@pytest.fixture
def handoff(admin_user, rep_a, manager_a) -> Handoff:
    routing_rule_create(actor=admin_user, name="Team A", method="round_robin", team=rep_a.team)
    contact = Contact.objects.create(email="ada@example.com", lifecycle_stage="lead")
    found = contact_qualify(
        contact=contact, cause=TransitionCause.PERSON, reason="Asked for pricing", now=MONDAY
    )
    assert found is not None
    return found


def test_check_sla_flags_an_overdue_handoff_once(handoff, manager_a):
    # Given: the deadline passed a minute ago
    with time_machine.travel(datetime(2025, 6, 2, 12, 1, tzinfo=UTC), tick=False):
        # When
        first = run("leads-check-sla", "--no-email")
        second = run("leads-check-sla", "--no-email")
    # Then: flagged and escalated to the manager once
    assert first == "1 hand-off newly flagged as past the SLA and escalated.\n"
    assert second == "0 hand-offs newly flagged as past the SLA and escalated.\n"
    handoff.refresh_from_db()
    assert (handoff.breached_at, handoff.escalated_to) == (handoff.due_at, manager_a)


def test_check_sla_leaves_a_handoff_within_its_time_alone(handoff):
    with time_machine.travel(datetime(2025, 6, 2, 11, 59, tzinfo=UTC), tick=False):
        assert (
            run("leads-check-sla") == "0 hand-offs newly flagged as past the SLA and escalated.\n"
        )
    handoff.refresh_from_db()
    assert (handoff.breached_at, handoff.escalated_to) == (None, None)


# --- leads-rescore ------------------------------------------------------------------------------


def test_rescore_recomputes_fit_scores(marketer):
    # Given: two contacts, and a fit rule added after them (its background recompute not run)
    ana = contact_create(actor=None, email="ana@acme.example", title="VP Sales")
    bob = contact_create(actor=None, email="bob@acme.example", title="Intern")
    fit_rule_create(
        actor=marketer, field="contact.title", operator="contains", value="VP", points=15
    )
    ana.refresh_from_db()
    assert ana.fit_score == 0
    # When
    output = run("leads-rescore")
    # Then
    assert output == "Recomputed the fit score of 2 contact(s): 1 changed.\n"
    ana.refresh_from_db()
    bob.refresh_from_db()
    assert (ana.fit_score, bob.fit_score) == (15, 0)
    # and a second run changes nothing
    assert run("leads-rescore") == "Recomputed the fit score of 2 contact(s): 0 changed.\n"


def test_rescore_with_engagement_rebuilds_from_touchpoints(marketer):
    # Given: a scored touch whose score was lost
    engagement_rule_create(
        actor=marketer,
        name="Pricing",
        touchpoint_kind="page_view",
        url_pattern="/pricing",
        points=15,
    )
    ana = contact_create(actor=None, email="ana@acme.example")
    at = datetime.now(tz=UTC) - timedelta(minutes=5)
    touchpoint_record(
        kind="page_view",
        visitor=None,
        contact=ana,
        info=RequestInfo(url="https://acme.test/pricing"),
        occurred_at=at,
    )
    ScoreChange.objects.all().delete()
    Contact.objects.update(engagement_points=0, engagement_score=0, engagement_at=None)
    # When
    output = run("leads-rescore", "--engagement")
    # Then
    assert output == (
        "Rebuilt the scores of 1 contact(s): 1 engagement rule hit(s) replayed from touchpoints.\n"
    )
    ana.refresh_from_db()
    assert (ana.engagement_points, ana.engagement_at, ana.engagement_score) == (15.0, at, 15)
    assert list(ScoreChange.objects.values_list("points", "reason")) == [
        (15, "+15 visited /pricing")
    ]


def test_rescore_refuses_unknown_arguments():
    with pytest.raises(CommandError, match="unrecognized arguments: --everything"):
        run("leads-rescore", "--everything")


# --- leads-train --------------------------------------------------------------------------------


@pytest.fixture
def at_history_now():
    with time_machine.travel(HISTORY_NOW, tick=False):
        yield


def test_train_prints_both_candidates_and_the_chosen_model(at_history_now):
    # Given: a history where VPs who viewed pricing became customers
    history_build()
    # When
    output = run("leads-train")
    # Then: the run is ready and scored the contacts
    model = PredictiveModel.objects.get()
    assert (model.status, model.requested_by, model.finished_at) == (
        ModelStatus.READY,
        None,
        HISTORY_NOW,
    )
    candidates = {c["label"]: c["auc"] for c in model.report["candidates"]}
    lines = output.splitlines()
    assert lines[0] == f"Run {model.pk}: Ready"
    assert lines[1].startswith("History: examples 128, features ")
    assert lines[2:4] == [
        f"  Logistic regression: AUC {candidates['Logistic regression']:.4f}",
        f"  Gradient boosting (calibrated): AUC {candidates['Gradient boosting (calibrated)']:.4f}",
    ]
    chosen = (
        "Logistic regression"
        if model.algorithm == "logistic_regression"
        else ("Gradient boosting (calibrated)")
    )
    assert lines[4] == f"Chosen: {chosen} (held-out AUC {model.auc:.4f})"
    assert model.auc >= 0.75
    assert lines[-1] == "Scored 48 contacts."
    assert [line for line in lines if line.startswith("Warning: ")] == [
        f"Warning: {warning}" for warning in model.report["warnings"]
    ]
    assert Contact.objects.exclude(predicted_tier="").count() == 48


def test_train_on_a_thin_history_exits_with_the_reason(at_history_now):
    # Given: no contacts at all
    # When / Then
    with pytest.raises(CommandError) as refused:
        run("leads-train")
    assert str(refused.value) == "Only 0 contact snapshots to learn from; at least 20 are needed."
    # The refused run is kept, as from the page
    model = PredictiveModel.objects.get()
    assert (model.status, model.artifact) == (ModelStatus.REFUSED, None)


def test_train_while_a_run_is_queued_exits_and_starts_nothing(at_history_now, marketer):
    PredictiveModel.objects.create(requested_at=HISTORY_NOW, requested_by=marketer)
    with pytest.raises(CommandError) as refused:
        run("leads-train")
    assert str(refused.value) == (
        "A training run is already queued (requested Jun 02, 12:00 UTC); wait for it to finish."
    )
    assert list(PredictiveModel.objects.values_list("status", flat=True)) == [ModelStatus.QUEUED]


def test_the_revline_command_exits_non_zero_on_bad_arguments(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["REVLINE_DATA_DIR"] = str(tmp_path)
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "revline.cli", "leads-train", "--fast"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "error: unrecognized arguments: --fast" in result.stderr
