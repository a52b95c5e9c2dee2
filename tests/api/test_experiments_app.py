"""Experiments over the API: create, read, edit, delete drafts, start and stop, with the UI's rule
(marketers and admins manage, everyone reads) and the audit log."""

import pytest

from revline.audit.models import AuditEntry
from revline.experiments.models import Experiment, Variant
from revline.experiments.services import MANAGE_ONLY, experiment_create
from tests.experiments.factories import cta_spec, make_page, running_cta
from tests.experiments.test_selectors import _touches, expose

from .conftest import error_fields

pytestmark = pytest.mark.django_db


def _body(page, **extra) -> dict:
    return {
        "name": "Hero button",
        "kind": "cta_label",
        "goal": "form_submission",
        "landing_page_id": page.pk,
        "hypothesis": "A concrete label converts better.",
        "variants": [
            {"name": "Demo", "cta_label": "Book a demo", "weight": 2},
            {"name": "Control", "is_control": True, "cta_label": "Get in touch"},
        ],
        **extra,
    }


def _actions(obj) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type="experiments.experiment", object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", "actor__username")
    )


def test_create_experiment_returns_the_draft_with_its_variants(api_as, marketer):
    page = make_page()
    response = api_as(marketer).post("/experiments", _body(page))
    assert response.status_code == 201
    body = response.json()
    experiment = Experiment.objects.get()
    assert (body["id"], body["status"], body["landing_page_id"], body["alpha"]) == (
        experiment.pk, "draft", page.pk, 0.05,
    )  # fmt: skip
    assert [(v["key"], v["name"], v["is_control"], v["weight"], v["cta_label"])
            for v in body["variants"]] == [
        ("a", "Control", True, 1, "Get in touch"), ("b", "Demo", False, 2, "Book a demo"),
    ]  # fmt: skip
    assert _actions(experiment) == [("create", "marketer")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"kind": "price"}, "kind"),
        ({"goal": "email_open"}, "goal"),
        ({"alpha": 0.5}, "alpha"),
        ({"landing_page_id": 999999}, "landing_page_id"),
        ({"landing_page_id": None}, "landing_page"),
        ({"variants": [{"name": "Only", "is_control": True, "cta_label": "Go"}]}, "variants"),
        ({"variants": [{"name": "A", "cta_label": "Go"}, {"name": "B", "cta_label": "Now"}]},
         "variants"),
        ({"variants": [{"name": "A", "is_control": True}, {"name": "B", "cta_label": "x"}]},
         "variants.0.cta_label"),
        ({"variants": [{"name": "A", "weight": 0}]}, "weight"),
        ({"status": "running"}, "status"),
    ],
)  # fmt: skip
def test_create_experiment_with_bad_input_is_422_and_creates_nothing(
    api_as, marketer, change, field
):
    response = api_as(marketer).post("/experiments", _body(make_page(), **change))
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Experiment.objects.count() == 0
    assert Variant.objects.count() == 0


def test_a_draft_page_cannot_be_tested(api_as, marketer):
    response = api_as(marketer).post("/experiments", _body(make_page(published=False)))
    assert (response.status_code, error_fields(response)) == (422, ["landing_page"])
    assert Experiment.objects.count() == 0


def test_reps_read_but_do_not_manage_experiments(api_as, marketer, rep_a):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    api = api_as(rep_a)
    read = api.get(f"/experiments/{experiment.pk}")
    assert (read.status_code, read.json()["name"]) == (200, "Button label")
    refused = api.post("/experiments", _body(make_page("other")))
    assert (refused.status_code, refused.json()) == (403, {"detail": MANAGE_ONLY})
    assert api.patch(f"/experiments/{experiment.pk}", {"name": "Mine"}).status_code == 403
    assert api.delete(f"/experiments/{experiment.pk}").status_code == 403
    assert api.post(f"/experiments/{experiment.pk}/start").status_code == 403
    experiment.refresh_from_db()
    assert (experiment.name, experiment.status, Experiment.objects.count()) == (
        "Button label", "draft", 1,
    )  # fmt: skip


def test_unknown_experiments_are_404(api_as, marketer):
    api = api_as(marketer)
    assert api.get("/experiments/999999").status_code == 404
    assert api.patch("/experiments/999999", {"name": "X"}).status_code == 404
    assert api.delete("/experiments/999999").status_code == 404
    assert api.post("/experiments/999999/start").status_code == 404
    assert api.post("/experiments/999999/stop").status_code == 404


def test_a_draft_is_edited_entirely_keeping_what_is_not_sent(api_as, marketer):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    response = api_as(marketer).patch(
        f"/experiments/{experiment.pk}",
        {"alpha": 0.01, "variants": [
            {"name": "Control", "is_control": True, "cta_label": "Get in touch"},
            {"name": "Short", "cta_label": "Go"}, {"name": "Long", "cta_label": "Talk to sales"},
        ]},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["alpha"], body["hypothesis"]) == (
        "Button label", 0.01, "A concrete label converts better.",
    )  # fmt: skip
    assert [v["name"] for v in body["variants"]] == ["Control", "Short", "Long"]
    entry = AuditEntry.objects.get(object_type="experiments.experiment", action="update")
    assert entry.changes["alpha"] == [0.05, 0.01]
    assert [v[1] for v in entry.changes["variants"][1]] == ["Control", "Short", "Long"]
    keep = api_as(marketer).patch(f"/experiments/{experiment.pk}", {"name": "Renamed"})
    assert [v["name"] for v in keep.json()["variants"]] == ["Control", "Short", "Long"]


def test_a_started_experiment_changes_only_name_and_hypothesis(api_as, marketer):
    experiment = running_cta(marketer, make_page())
    api = api_as(marketer)
    refused = api.patch(f"/experiments/{experiment.pk}", {"alpha": 0.01})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == (
        "Only the name and the hypothesis can change once the experiment has started."
    )
    experiment.refresh_from_db()
    assert experiment.alpha == 0.05
    renamed = api.patch(f"/experiments/{experiment.pk}", {"name": "Hero CTA"})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Hero CTA")
    assert [v["key"] for v in renamed.json()["variants"]] == ["a", "b"]
    assert api.patch(f"/experiments/{experiment.pk}", {"name": None}).status_code == 422


def test_start_and_stop(api_as, marketer):
    experiment = experiment_create(actor=marketer, spec=cta_spec(make_page()))
    api = api_as(marketer)
    assert api.post(f"/experiments/{experiment.pk}/stop").status_code == 422
    started = api.post(f"/experiments/{experiment.pk}/start")
    assert (started.status_code, started.json()["status"]) == (200, "running")
    assert started.json()["started_at"] is not None
    assert api.post(f"/experiments/{experiment.pk}/start").status_code == 422
    stopped = api.post(f"/experiments/{experiment.pk}/stop")
    assert (stopped.status_code, stopped.json()["status"]) == (200, "stopped")
    assert [a for a in _actions(experiment)] == [
        ("create", "marketer"),
        ("update", "marketer"),
        ("update", "marketer"),
    ]
    statuses = [
        e.changes["status"]
        for e in AuditEntry.objects.filter(
            action="update", object_type="experiments.experiment"
        ).order_by("pk")
    ]
    assert statuses == [["draft", "running"], ["running", "stopped"]]


def test_a_second_experiment_on_the_same_page_does_not_start(api_as, marketer):
    page = make_page()
    running_cta(marketer, page)
    second = experiment_create(actor=marketer, spec=cta_spec(page, name="Second"))
    response = api_as(marketer).post(f"/experiments/{second.pk}/start")
    assert response.status_code == 422
    second.refresh_from_db()
    assert second.status == "draft"


def test_only_drafts_are_deleted(api_as, marketer):
    draft = experiment_create(actor=marketer, spec=cta_spec(make_page("a")))
    running = running_cta(marketer, make_page("b"))
    expose(running, "a", 3, 1, _touches)
    api = api_as(marketer)
    refused = api.delete(f"/experiments/{running.pk}")
    assert (refused.status_code, error_fields(refused)) == (422, ["status"])
    assert Experiment.objects.filter(pk=running.pk).exists()
    assert api.delete(f"/experiments/{draft.pk}").status_code == 204
    assert not Experiment.objects.filter(pk=draft.pk).exists()
    assert _actions(draft) == [("create", "marketer"), ("delete", "marketer")]
