"""Sales set-up and the deal page's panels over the API (revline.sales.workbench_api)."""

from decimal import Decimal

import pytest
from django.core import mail

from revline.audit.models import AuditEntry
from revline.content.models import ContentItem
from revline.core.workspace import workspace_get
from revline.people.services import contact_create
from revline.sales import playbook_services
from revline.sales.models import (
    CloseReason,
    ContentShare,
    Deal,
    DealAttachment,
    DealContact,
    Pipeline,
    PlaybookItem,
    PlaybookTick,
    Stage,
    StagePlaybook,
)
from revline.sales.services import (
    DEFAULT_STAGES,
    deal_close_lost,
    deal_contact_add,
    pipeline_create,
    pipeline_default,
)

from .conftest import error_fields


@pytest.fixture
def pipeline(db) -> Pipeline:
    return pipeline_default()


@pytest.fixture
def ada(db):
    return contact_create(actor=None, first_name="Ada", email="ada@example.com")


@pytest.fixture
def bob(db):
    return contact_create(actor=None, first_name="Bob", email="bob@example.com")


@pytest.fixture
def deal_a(rep_a, ada, pipeline) -> Deal:
    """An open deal of rep_a (team A) in Qualification; by default reps see their team's deals."""
    from revline.sales.services import deal_create

    return deal_create(actor=rep_a, name="Acme rollout", amount=Decimal("1000.00"), contact=ada)


@pytest.fixture
def renewals(db) -> Pipeline:
    return pipeline_create(actor=None, name="Renewals", stages=DEFAULT_STAGES)


def stage_of(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def stage_rows(pipeline: Pipeline) -> list[tuple[str, int, int, str]]:
    return list(
        pipeline.stages.order_by("position").values_list("name", "position", "probability", "kind")
    )


def put(client, path: str, body):
    """The shared ApiClient has no put(); its _send speaks any method."""
    return client._send("put", path, body)


def audited(action: str, obj) -> bool:
    return AuditEntry.objects.filter(
        action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()


# --- pipelines --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_creates_a_pipeline_that_ends_with_won_and_lost(api_as, manager_a, pipeline):
    # When
    response = api_as(manager_a).post(
        "/pipelines",
        {
            "name": "Renewals",
            "stages": [
                {"name": "Check-in", "probability": 30},
                {"name": "Offer", "probability": 70},
            ],
        },
    )
    # Then
    assert response.status_code == 201
    body = response.json()
    created = Pipeline.objects.get(name="Renewals")
    assert body["id"] == created.pk
    assert body["is_default"] is False
    assert body["stale_after_days"] == 21
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in body["stages"]] == [
        ("Check-in", 0, 30, "open"),
        ("Offer", 1, 70, "open"),
        ("Won", 2, 100, "won"),
        ("Lost", 3, 0, "lost"),
    ]
    assert audited("create", created)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "New business", "stages": [{"name": "A", "probability": 5}]}, "name"),
        ({"name": "", "stages": [{"name": "A", "probability": 5}]}, "name"),
        ({"name": "X", "stages": []}, "stages"),
        ({"name": "X", "stages": [{"name": "A", "probability": 101}]}, "probability"),
        ({"name": "X", "stages": [{"name": "Won", "probability": 5}]}, "stages"),
        ({"name": "X", "stages": [{"name": "A", "probability": 5}], "id": 3}, "id"),
    ],
)
def test_bad_pipeline_is_422_and_creates_nothing(api_as, manager_a, pipeline, body, field):
    response = api_as(manager_a).post("/pipelines", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert list(Pipeline.objects.values_list("name", flat=True)) == ["New business"]


@pytest.mark.django_db
def test_rep_cannot_create_a_pipeline(api_as, rep_a, pipeline):
    response = api_as(rep_a).post(
        "/pipelines", {"name": "Mine", "stages": [{"name": "A", "probability": 5}]}
    )
    assert response.status_code == 403
    assert not Pipeline.objects.filter(name="Mine").exists()


@pytest.mark.django_db
def test_anyone_reads_a_pipeline_and_unknown_is_404(api_as, rep_a, pipeline):
    client = api_as(rep_a)
    response = client.get(f"/pipelines/{pipeline.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "New business"
    assert len(response.json()["stages"]) == 6
    assert client.get("/pipelines/999999").status_code == 404


@pytest.mark.django_db
def test_manager_renames_a_pipeline_and_makes_it_the_default(api_as, manager_a, pipeline, renewals):
    response = api_as(manager_a).patch(
        f"/pipelines/{renewals.pk}",
        {"name": "Renewals 2026", "is_default": True, "stale_after_days": 40},
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_default"]) == ("Renewals 2026", True)
    renewals.refresh_from_db()
    pipeline.refresh_from_db()
    assert (renewals.name, renewals.is_default, renewals.stale_after_days) == (
        "Renewals 2026",
        True,
        40,
    )
    assert pipeline.is_default is False
    assert audited("update", renewals)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_default": False}, "is_default"),
        ({"name": "Renewals"}, "name"),
        ({"name": None}, "name"),
        ({"stale_after_days": 0}, "stale_after_days"),
    ],
)
def test_bad_pipeline_patch_is_422(api_as, manager_a, pipeline, renewals, body, field):
    response = api_as(manager_a).patch(f"/pipelines/{pipeline.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.is_default, pipeline.stale_after_days) == (
        "New business",
        True,
        21,
    )


@pytest.mark.django_db
def test_pipeline_patch_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a, pipeline):
    assert api_as(rep_a).patch(f"/pipelines/{pipeline.pk}", {"name": "Hijack"}).status_code == 403
    assert api_as(manager_a).patch("/pipelines/999999", {"name": "X"}).status_code == 404
    pipeline.refresh_from_db()
    assert pipeline.name == "New business"


@pytest.mark.django_db
def test_manager_deletes_an_empty_pipeline(api_as, manager_a, pipeline, renewals):
    stage_ids = list(renewals.stages.values_list("pk", flat=True))
    response = api_as(manager_a).delete(f"/pipelines/{renewals.pk}")
    assert response.status_code == 204
    assert not Pipeline.objects.filter(pk=renewals.pk).exists()
    assert not Stage.objects.filter(pk__in=stage_ids).exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.pipeline", object_id=str(renewals.pk)
    ).exists()


@pytest.mark.django_db
def test_pipeline_with_deals_or_default_is_not_deleted(api_as, manager_a, pipeline, deal_a):
    # Given: the default pipeline also holds a deal; Renewals becomes the default
    client = api_as(manager_a)
    response = client.delete(f"/pipelines/{pipeline.pk}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "This is the default pipeline: make another one the default first."
    )
    other = pipeline_create(actor=None, name="Renewals", stages=DEFAULT_STAGES, is_default=True)
    response = client.delete(f"/pipelines/{pipeline.pk}")
    # Then
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "The pipeline still has deals: move or delete them first."
    )
    assert Pipeline.objects.filter(pk__in=[pipeline.pk, other.pk]).count() == 2
    assert Deal.objects.filter(pk=deal_a.pk).exists()


@pytest.mark.django_db
def test_pipeline_delete_refused_for_rep_and_404_for_unknown(
    api_as, rep_a, manager_a, pipeline, renewals
):
    assert api_as(rep_a).delete(f"/pipelines/{renewals.pk}").status_code == 403
    assert api_as(manager_a).delete("/pipelines/999999").status_code == 404
    assert Pipeline.objects.filter(pk=renewals.pk).exists()


# --- stages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_manager_adds_a_stage_between_open_stages(api_as, manager_a, pipeline):
    response = api_as(manager_a).post(
        f"/pipelines/{pipeline.pk}/stages", {"name": "Demo", "probability": 40, "position": 2}
    )
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["position"]) == ("Demo", 2)
    assert stage_rows(pipeline) == [
        ("Qualification", 0, 10, "open"),
        ("Discovery", 1, 25, "open"),
        ("Demo", 2, 40, "open"),
        ("Proposal", 3, 50, "open"),
        ("Negotiation", 4, 75, "open"),
        ("Won", 5, 100, "won"),
        ("Lost", 6, 0, "lost"),
    ]
    assert audited("create", stage_of(pipeline, "Demo"))


@pytest.mark.django_db
def test_a_stage_without_position_goes_before_won(api_as, manager_a, pipeline):
    response = api_as(manager_a).post(
        f"/pipelines/{pipeline.pk}/stages", {"name": "Legal", "probability": 90}
    )
    assert response.status_code == 201
    assert [row[0] for row in stage_rows(pipeline)][-3:] == ["Legal", "Won", "Lost"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "discovery", "probability": 40}, "name"),
        ({"name": "Demo", "probability": 40, "position": 5}, "position"),
        ({"name": "Demo", "probability": -1}, "probability"),
        ({"name": " ", "probability": 40}, "name"),
    ],
)
def test_bad_stage_is_422_and_adds_nothing(api_as, manager_a, pipeline, body, field):
    before = stage_rows(pipeline)
    response = api_as(manager_a).post(f"/pipelines/{pipeline.pk}/stages", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_stage_create_refused_for_rep_and_404_for_unknown_pipeline(
    api_as, rep_a, manager_a, pipeline
):
    before = stage_rows(pipeline)
    body = {"name": "Demo", "probability": 40}
    assert api_as(rep_a).post(f"/pipelines/{pipeline.pk}/stages", body).status_code == 403
    assert api_as(manager_a).post("/pipelines/999999/stages", body).status_code == 404
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_read_a_stage(api_as, rep_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    response = api_as(rep_a).get(f"/stages/{discovery.pk}")
    assert response.json() == {
        "id": discovery.pk,
        "name": "Discovery",
        "position": 1,
        "probability": 25,
        "kind": "open",
    }
    assert api_as(rep_a).get("/stages/999999").status_code == 404


@pytest.mark.django_db
def test_manager_renames_and_reweights_a_stage(api_as, manager_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    response = api_as(manager_a).patch(
        f"/stages/{discovery.pk}", {"name": "Needs analysis", "probability": 30}
    )
    assert response.status_code == 200
    discovery.refresh_from_db()
    assert (discovery.name, discovery.probability) == ("Needs analysis", 30)
    assert audited("update", discovery)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("Won", {"probability": 90}, "probability"),
        ("Discovery", {"name": "Proposal"}, "name"),
        ("Discovery", {"probability": 500}, "probability"),
        ("Discovery", {"probability": None}, "probability"),
    ],
)
def test_bad_stage_patch_is_422(api_as, manager_a, pipeline, name, body, field):
    before = stage_rows(pipeline)
    response = api_as(manager_a).patch(f"/stages/{stage_of(pipeline, name).pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_stage_patch_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a, pipeline):
    before = stage_rows(pipeline)
    discovery = stage_of(pipeline, "Discovery")
    assert api_as(rep_a).patch(f"/stages/{discovery.pk}", {"name": "X"}).status_code == 403
    assert api_as(manager_a).patch("/stages/999999", {"name": "X"}).status_code == 404
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_manager_reorders_open_stages(api_as, manager_a, pipeline):
    q, d, p, n = (
        stage_of(pipeline, s).pk for s in ("Qualification", "Discovery", "Proposal", "Negotiation")
    )
    response = api_as(manager_a).post(
        f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": [d, q, n, p]}
    )
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["stages"]] == [
        "Discovery",
        "Qualification",
        "Negotiation",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert [row[1] for row in stage_rows(pipeline)] == [0, 1, 2, 3, 4, 5]


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["missing", "twice", "won"])
def test_bad_stage_order_is_422(api_as, manager_a, pipeline, which):
    ids = [stage_of(pipeline, s).pk for s in ("Qualification", "Discovery", "Proposal")]
    last = {
        "missing": [],
        "twice": [ids[0]],
        "won": [stage_of(pipeline, "Won").pk],
    }[which]
    before = stage_rows(pipeline)
    response = api_as(manager_a).post(
        f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": ids + last}
    )
    assert response.status_code == 422
    assert error_fields(response) == ["stage_ids"]
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_stage_order_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a, pipeline):
    assert (
        api_as(rep_a).post(f"/pipelines/{pipeline.pk}/stage-order", {"stage_ids": []}).status_code
        == 403
    )
    assert (
        api_as(manager_a).post("/pipelines/999999/stage-order", {"stage_ids": []}).status_code
        == 404
    )


@pytest.mark.django_db
def test_manager_deletes_an_unused_stage(api_as, manager_a, pipeline, deal_a):
    discovery = stage_of(pipeline, "Discovery")
    response = api_as(manager_a).delete(f"/stages/{discovery.pk}")
    assert response.status_code == 204
    assert [(row[0], row[1]) for row in stage_rows(pipeline)] == [
        ("Qualification", 0),
        ("Proposal", 1),
        ("Negotiation", 2),
        ("Won", 3),
        ("Lost", 4),
    ]
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.stage", object_id=str(discovery.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Qualification", "The stage still has deals: move them to another stage first."),
        ("Won", "Every pipeline keeps its won and lost stages."),
    ],
)
def test_stage_with_deals_or_closing_stage_is_not_deleted(
    api_as, manager_a, pipeline, deal_a, name, message
):
    before = stage_rows(pipeline)
    response = api_as(manager_a).delete(f"/stages/{stage_of(pipeline, name).pk}")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "stage"], "msg": message, "type": "value_error"}
    ]
    assert stage_rows(pipeline) == before


@pytest.mark.django_db
def test_stage_delete_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    assert api_as(rep_a).delete(f"/stages/{discovery.pk}").status_code == 403
    assert api_as(manager_a).delete("/stages/999999").status_code == 404
    assert Stage.objects.filter(pk=discovery.pk).exists()


# --- close reasons ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_rep_lists_lost_reasons_in_form_order(api_as, rep_a):
    response = api_as(rep_a).get("/close-reasons", {"kind": "lost", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 6
    assert [(r["kind"], r["name"], r["is_active"]) for r in body["items"]] == [
        ("lost", "Price", True),
        ("lost", "No budget", True),
        ("lost", "Timing", True),
    ]


@pytest.mark.django_db
def test_close_reason_filters_are_validated(api_as, rep_a):
    response = api_as(rep_a).get("/close-reasons", {"kind": "maybe"})
    assert response.status_code == 422
    assert error_fields(response) == ["kind"]


@pytest.mark.django_db
def test_read_a_close_reason(api_as, rep_a):
    price = CloseReason.objects.get(kind="lost", name="Price")
    response = api_as(rep_a).get(f"/close-reasons/{price.pk}")
    assert response.json() == {
        "id": price.pk,
        "kind": "lost",
        "name": "Price",
        "position": price.position,
        "is_active": True,
    }
    assert api_as(rep_a).get("/close-reasons/999999").status_code == 404


@pytest.mark.django_db
def test_manager_adds_a_close_reason_at_the_end(api_as, manager_a):
    response = api_as(manager_a).post("/close-reasons", {"kind": "lost", "name": "Built in-house"})
    assert response.status_code == 201
    reason = CloseReason.objects.get(name="Built in-house")
    assert (response.json()["id"], reason.kind) == (reason.pk, "lost")
    assert reason.position > CloseReason.objects.get(kind="lost", name="Product fit").position
    assert audited("create", reason)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "lost", "name": "price"}, "name"),
        ({"kind": "open", "name": "Other"}, "kind"),
        ({"kind": "lost", "name": ""}, "name"),
    ],
)
def test_bad_close_reason_is_422(api_as, manager_a, body, field):
    before = CloseReason.objects.count()
    response = api_as(manager_a).post("/close-reasons", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert CloseReason.objects.count() == before


@pytest.mark.django_db
def test_rep_cannot_add_a_close_reason(api_as, rep_a):
    before = CloseReason.objects.count()
    response = api_as(rep_a).post("/close-reasons", {"kind": "lost", "name": "Other"})
    assert response.status_code == 403
    assert CloseReason.objects.count() == before


@pytest.mark.django_db
def test_manager_renames_retires_and_moves_a_reason(api_as, manager_a):
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    no_budget = CloseReason.objects.get(kind="lost", name="No budget")
    response = api_as(manager_a).patch(
        f"/close-reasons/{timing.pk}", {"name": "Bad timing", "is_active": False, "move": "up"}
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_active"]) == ("Bad timing", False)
    timing.refresh_from_db()
    no_budget.refresh_from_db()
    assert timing.position < no_budget.position
    assert audited("update", timing)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "Price"}, "name"), ({"move": "left"}, "move"), ({"is_active": None}, "is_active")],
)
def test_bad_close_reason_patch_is_422(api_as, manager_a, body, field):
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    response = api_as(manager_a).patch(f"/close-reasons/{timing.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    timing.refresh_from_db()
    assert (timing.name, timing.is_active) == ("Timing", True)


@pytest.mark.django_db
def test_close_reason_patch_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a):
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    assert api_as(rep_a).patch(f"/close-reasons/{timing.pk}", {"name": "X"}).status_code == 403
    assert api_as(manager_a).patch("/close-reasons/999999", {"name": "X"}).status_code == 404
    timing.refresh_from_db()
    assert timing.name == "Timing"


@pytest.mark.django_db
def test_unused_reason_is_deleted_and_used_one_is_kept(api_as, manager_a, rep_a, deal_a):
    price = CloseReason.objects.get(kind="lost", name="Price")
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    deal_close_lost(actor=rep_a, deal=deal_a, reason=price, note="")
    client = api_as(manager_a)
    assert client.delete(f"/close-reasons/{timing.pk}").status_code == 204
    response = client.delete(f"/close-reasons/{price.pk}")
    assert response.status_code == 422
    assert error_fields(response) == ["reason"]
    assert not CloseReason.objects.filter(pk=timing.pk).exists()
    assert CloseReason.objects.filter(pk=price.pk).exists()


@pytest.mark.django_db
def test_close_reason_delete_refused_for_rep_and_404_for_unknown(api_as, rep_a, manager_a):
    timing = CloseReason.objects.get(kind="lost", name="Timing")
    assert api_as(rep_a).delete(f"/close-reasons/{timing.pk}").status_code == 403
    assert api_as(manager_a).delete("/close-reasons/999999").status_code == 404
    assert CloseReason.objects.filter(pk=timing.pk).exists()


# --- playbooks (set-up) -----------------------------------------------------------------------


@pytest.fixture
def guide(db) -> ContentItem:
    return ContentItem.objects.create(title="Buyer's guide", kind="whitepaper")


@pytest.mark.django_db
def test_manager_saves_and_reads_a_stage_playbook(api_as, manager_a, pipeline, guide):
    discovery = stage_of(pipeline, "Discovery")
    client = api_as(manager_a)
    response = put(
        client,
        f"/stages/{discovery.pk}/playbook",
        {
            "talk_track": "Ask about last quarter.",
            "questions": ["Who signs?", "Budget?"],
            "tasks": ["Send the guide"],
            "content_ids": [guide.pk],
        },
    )
    assert response.status_code == 200
    body = response.json()
    playbook = StagePlaybook.objects.get(stage=discovery)
    assert (body["id"], body["stage"], body["talk_track"]) == (
        playbook.pk,
        "Discovery",
        "Ask about last quarter.",
    )
    assert [(i["kind"], i["text"]) for i in body["items"]] == [
        ("question", "Who signs?"),
        ("question", "Budget?"),
        ("task", "Send the guide"),
    ]
    assert body["content"] == [{"id": guide.pk, "title": "Buyer's guide"}]
    assert audited("create", playbook)
    # And: the pipeline's list has one entry per open stage
    listed = client.get(f"/pipelines/{pipeline.pk}/playbooks").json()
    assert [(p["stage"], p["id"]) for p in listed] == [
        ("Qualification", None),
        ("Discovery", playbook.pk),
        ("Proposal", None),
        ("Negotiation", None),
    ]
    assert client.get(f"/stages/{discovery.pk}/playbook").json() == body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage_name", "body", "field"),
    [
        ("Won", {"talk_track": "Celebrate"}, "stage"),
        ("Discovery", {"content_ids": [999999]}, "content_ids"),
        ("Discovery", {"questions": ["x" * 201]}, "questions"),
        ("Discovery", {"talk": "typo"}, "talk"),
    ],
)
def test_bad_playbook_is_422_and_saves_nothing(
    api_as, manager_a, pipeline, stage_name, body, field
):
    response = put(api_as(manager_a), f"/stages/{stage_of(pipeline, stage_name).pk}/playbook", body)
    assert response.status_code == 422
    assert field in [str(part) for error in response.json()["detail"] for part in error["loc"]]
    assert StagePlaybook.objects.count() == 0


@pytest.mark.django_db
def test_rep_cannot_read_or_edit_playbooks(api_as, rep_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    client = api_as(rep_a)
    assert client.get(f"/pipelines/{pipeline.pk}/playbooks").status_code == 403
    assert client.get(f"/stages/{discovery.pk}/playbook").status_code == 403
    assert put(client, f"/stages/{discovery.pk}/playbook", {"talk_track": "x"}).status_code == 403
    assert client.post(f"/stages/{discovery.pk}/playbook/items", {"text": "Q?"}).status_code == 403
    assert StagePlaybook.objects.count() == 0


@pytest.mark.django_db
def test_playbook_routes_404_for_unknown_stage_or_pipeline(api_as, manager_a, pipeline):
    client = api_as(manager_a)
    assert client.get("/pipelines/999999/playbooks").status_code == 404
    assert client.get("/stages/999999/playbook").status_code == 404
    assert put(client, "/stages/999999/playbook", {}).status_code == 404
    assert client.post("/stages/999999/playbook/items", {"text": "Q?"}).status_code == 404
    assert (
        client.delete(f"/stages/{stage_of(pipeline, 'Discovery').pk}/playbook").status_code == 404
    )


@pytest.mark.django_db
def test_manager_deletes_a_playbook(api_as, manager_a, rep_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    playbook_services.playbook_save(
        actor=manager_a, stage=discovery, talk_track="Hi", questions=["Q?"], tasks=[], content=[]
    )
    assert api_as(rep_a).delete(f"/stages/{discovery.pk}/playbook").status_code == 403
    assert StagePlaybook.objects.count() == 1
    assert api_as(manager_a).delete(f"/stages/{discovery.pk}/playbook").status_code == 204
    assert StagePlaybook.objects.count() == 0
    assert PlaybookItem.objects.count() == 0


@pytest.mark.django_db
def test_manager_adds_changes_and_removes_a_checklist_item(api_as, manager_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    client = api_as(manager_a)
    # When: added
    response = client.post(
        f"/stages/{discovery.pk}/playbook/items", {"kind": "task", "text": "Book a demo"}
    )
    assert response.status_code == 201
    item = PlaybookItem.objects.get()
    assert response.json() == {"id": item.pk, "kind": "task", "text": "Book a demo", "position": 0}
    assert audited("create", item)
    # When: changed
    response = client.patch(f"/playbook-items/{item.pk}", {"text": "Book a live demo"})
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.text == "Book a live demo"
    # When: removed
    assert client.delete(f"/playbook-items/{item.pk}").status_code == 204
    assert not PlaybookItem.objects.exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.playbookitem", object_id=str(item.pk)
    ).exists()


@pytest.mark.django_db
def test_bad_checklist_items_are_422(api_as, manager_a, pipeline):
    discovery = stage_of(pipeline, "Discovery")
    client = api_as(manager_a)
    client.post(f"/stages/{discovery.pk}/playbook/items", {"text": "Who signs?"})
    item = PlaybookItem.objects.get()
    duplicate = client.post(f"/stages/{discovery.pk}/playbook/items", {"text": "who signs?"})
    assert (duplicate.status_code, error_fields(duplicate)) == (422, ["text"])
    won = client.post(f"/stages/{stage_of(pipeline, 'Won').pk}/playbook/items", {"text": "Q"})
    assert (won.status_code, error_fields(won)) == (422, ["stage"])
    blank = client.patch(f"/playbook-items/{item.pk}", {"text": " "})
    assert (blank.status_code, error_fields(blank)) == (422, ["text"])
    bad_kind = client.patch(f"/playbook-items/{item.pk}", {"kind": "poem"})
    assert (bad_kind.status_code, error_fields(bad_kind)) == (422, ["kind"])
    item.refresh_from_db()
    assert (PlaybookItem.objects.count(), item.text, item.kind) == (1, "Who signs?", "question")


@pytest.mark.django_db
def test_checklist_item_routes_refuse_reps_and_404_unknown(api_as, manager_a, rep_a, pipeline):
    item = playbook_services.playbook_item_add(
        actor=manager_a, stage=stage_of(pipeline, "Discovery"), kind="question", text="Q?"
    )
    assert api_as(rep_a).patch(f"/playbook-items/{item.pk}", {"text": "X"}).status_code == 403
    assert api_as(rep_a).delete(f"/playbook-items/{item.pk}").status_code == 403
    assert api_as(manager_a).patch("/playbook-items/999999", {"text": "X"}).status_code == 404
    assert api_as(manager_a).delete("/playbook-items/999999").status_code == 404
    item.refresh_from_db()
    assert item.text == "Q?"


# --- on a deal: playbook checklist ------------------------------------------------------------


@pytest.fixture
def question(manager_a, pipeline) -> PlaybookItem:
    return playbook_services.playbook_item_add(
        actor=manager_a, stage=stage_of(pipeline, "Qualification"), kind="question", text="Who?"
    )


@pytest.mark.django_db
def test_rep_ticks_and_unticks_a_checklist_item(api_as, rep_a, deal_a, question):
    client = api_as(rep_a)
    url = f"/deals/{deal_a.pk}/playbook/items/{question.pk}/tick"
    response = client.post(url)
    assert response.json() == {"item_id": question.pk, "ticked": True}
    book = client.get(f"/deals/{deal_a.pk}/playbook").json()
    assert (book["done"], book["total"], book["percent"]) == (1, 1, 100)
    assert book["items"][0]["ticked_by"]["id"] == rep_a.pk
    assert client.post(url).json() == {"item_id": question.pk, "ticked": False}
    assert PlaybookTick.objects.count() == 0


@pytest.mark.django_db
def test_tick_of_another_pipelines_item_is_422(api_as, rep_a, manager_a, deal_a, renewals):
    foreign = playbook_services.playbook_item_add(
        actor=manager_a, stage=stage_of(renewals, "Discovery"), kind="task", text="X"
    )
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/playbook/items/{foreign.pk}/tick")
    assert response.status_code == 422
    assert PlaybookTick.objects.count() == 0


@pytest.mark.django_db
def test_playbook_of_a_deal_follows_deal_visibility(api_as, rep_b, marketer, deal_a, question):
    # Given: team visibility (the default): rep_b does not see team A's deal
    assert workspace_get().deal_visibility == "team"
    assert api_as(rep_b).get(f"/deals/{deal_a.pk}/playbook").status_code == 404
    url = f"/deals/{deal_a.pk}/playbook/items/{question.pk}/tick"
    assert api_as(rep_b).post(url).status_code == 404
    # And: the marketer sees every deal but may not change one
    assert api_as(marketer).get(f"/deals/{deal_a.pk}/playbook").status_code == 200
    assert api_as(marketer).post(url).status_code == 403
    assert (
        api_as(marketer).post(f"/deals/{deal_a.pk}/playbook/items/999999/tick").status_code == 403
    )
    assert PlaybookTick.objects.count() == 0


@pytest.mark.django_db
def test_tick_of_unknown_item_or_deal_is_404(api_as, rep_a, deal_a, question):
    client = api_as(rep_a)
    assert client.post(f"/deals/{deal_a.pk}/playbook/items/999999/tick").status_code == 404
    assert client.post(f"/deals/999999/playbook/items/{question.pk}/tick").status_code == 404
    assert client.get("/deals/999999/playbook").status_code == 404


# --- on a deal: content shares ----------------------------------------------------------------


@pytest.mark.django_db
def test_rep_sends_content_to_the_deals_contact(api_as, rep_a, deal_a, ada, guide):
    client = api_as(rep_a)
    response = client.post(
        f"/deals/{deal_a.pk}/shares",
        {"contact_id": ada.pk, "content_item_id": guide.pk, "message": "As promised"},
    )
    assert response.status_code == 201
    share = ContentShare.objects.get()
    assert response.json()["id"] == share.pk
    assert (response.json()["contact"]["id"], response.json()["open_count"]) == (ada.pk, 0)
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    listed = client.get(f"/deals/{deal_a.pk}/shares").json()
    assert (listed["total"], listed["items"][0]["content_item"]) == (
        1,
        {"id": guide.pk, "title": "Buyer's guide"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["stranger", "unknown_contact", "unknown_item", "extra"])
def test_bad_share_is_422_and_sends_nothing(api_as, rep_a, deal_a, ada, bob, guide, which):
    body = {
        "stranger": {"contact_id": bob.pk, "content_item_id": guide.pk},
        "unknown_contact": {"contact_id": 999999, "content_item_id": guide.pk},
        "unknown_item": {"contact_id": ada.pk, "content_item_id": 999999},
        "extra": {"contact_id": ada.pk, "content_item_id": guide.pk, "sent_by": 1},
    }[which]
    field = {
        "stranger": "contact",
        "unknown_contact": "contact_id",
        "unknown_item": "content_item_id",
        "extra": "sent_by",
    }[which]
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/shares", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert ContentShare.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_shares_follow_deal_visibility(api_as, rep_b, marketer, deal_a, ada, guide):
    body = {"contact_id": ada.pk, "content_item_id": guide.pk}
    assert api_as(rep_b).get(f"/deals/{deal_a.pk}/shares").status_code == 404
    assert api_as(rep_b).post(f"/deals/{deal_a.pk}/shares", body).status_code == 404
    assert api_as(marketer).post(f"/deals/{deal_a.pk}/shares", body).status_code == 403
    assert api_as(marketer).post("/deals/999999/shares", body).status_code == 404
    assert ContentShare.objects.count() == 0
    assert mail.outbox == []


# --- on a deal: buying committee --------------------------------------------------------------


@pytest.mark.django_db
def test_rep_manages_the_buying_committee(api_as, rep_a, deal_a, bob):
    client = api_as(rep_a)
    # When: added
    response = client.post(
        f"/deals/{deal_a.pk}/committee", {"contact_id": bob.pk, "role": "champion"}
    )
    assert response.status_code == 201
    member = DealContact.objects.get()
    assert (response.json()["id"], response.json()["contact"]["id"], response.json()["role"]) == (
        member.pk,
        bob.pk,
        "champion",
    )
    assert audited("create", member)
    # When: role changed
    response = client.patch(f"/deals/{deal_a.pk}/committee/{member.pk}", {"role": "decision_maker"})
    assert response.json()["role"] == "decision_maker"
    listed = client.get(f"/deals/{deal_a.pk}/committee").json()
    assert [(m["contact"]["name"], m["role"]) for m in listed["items"]] == [
        ("Bob", "decision_maker")
    ]
    # When: removed
    assert client.delete(f"/deals/{deal_a.pk}/committee/{member.pk}").status_code == 204
    assert not DealContact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_id": "ADA", "role": "champion"}, "contact"),
        ({"contact_id": 999999, "role": "champion"}, "contact_id"),
        ({"contact_id": "BOB", "role": "king"}, "role"),
    ],
)
def test_bad_committee_member_is_422(api_as, rep_a, deal_a, ada, bob, body, field):
    deal_contact_add(actor=rep_a, deal=deal_a, contact=ada, role="user")
    body = {
        **body,
        "contact_id": {"ADA": ada.pk, "BOB": bob.pk}.get(body["contact_id"], body["contact_id"]),
    }
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/committee", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert list(DealContact.objects.values_list("contact_id", "role")) == [(ada.pk, "user")]


@pytest.mark.django_db
def test_committee_follows_deal_visibility(api_as, rep_a, rep_b, marketer, deal_a, ada):
    member = deal_contact_add(actor=rep_a, deal=deal_a, contact=ada, role="user")
    base = f"/deals/{deal_a.pk}/committee"
    assert api_as(rep_b).get(base).status_code == 404
    assert api_as(rep_b).patch(f"{base}/{member.pk}", {"role": "blocker"}).status_code == 404
    assert api_as(marketer).post(base, {"contact_id": ada.pk, "role": "user"}).status_code == 403
    assert api_as(marketer).patch(f"{base}/{member.pk}", {"role": "blocker"}).status_code == 403
    assert api_as(marketer).delete(f"{base}/{member.pk}").status_code == 403
    assert api_as(rep_a).patch(f"{base}/999999", {"role": "blocker"}).status_code == 404
    assert api_as(rep_a).patch(f"{base}/{member.pk}", {"role": "boss"}).status_code == 422
    assert api_as(rep_a).delete(f"{base}/999999").status_code == 404
    member.refresh_from_db()
    assert member.role == "user"


# --- on a deal: files and links ---------------------------------------------------------------


@pytest.mark.django_db
def test_rep_attaches_lists_and_deletes_a_link(api_as, rep_a, deal_a):
    client = api_as(rep_a)
    response = client.post(
        f"/deals/{deal_a.pk}/attachments",
        {"title": "Security review", "url": "https://docs.example.com/review"},
    )
    assert response.status_code == 201
    attachment = DealAttachment.objects.get()
    assert {k: response.json()[k] for k in ("id", "title", "kind", "url", "size")} == {
        "id": attachment.pk,
        "title": "Security review",
        "kind": "link",
        "url": "https://docs.example.com/review",
        "size": 0,
    }
    assert client.get(f"/deals/{deal_a.pk}/attachments").json()["total"] == 1
    assert client.delete(f"/deals/{deal_a.pk}/attachments/{attachment.pk}").status_code == 204
    assert not DealAttachment.objects.exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="sales.dealattachment", object_id=str(attachment.pk)
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [("javascript:alert(1)", "url"), ("", "url"), ("https://x.example/" + "a" * 2000, "url")],
)
def test_bad_link_is_422(api_as, rep_a, deal_a, url, field):
    response = api_as(rep_a).post(f"/deals/{deal_a.pk}/attachments", {"url": url})
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not DealAttachment.objects.exists()


@pytest.mark.django_db
def test_attachments_follow_deal_visibility(api_as, rep_a, rep_b, marketer, deal_a):
    client = api_as(rep_a)
    client.post(f"/deals/{deal_a.pk}/attachments", {"url": "https://example.com/a"})
    attachment = DealAttachment.objects.get()
    base = f"/deals/{deal_a.pk}/attachments"
    assert api_as(rep_b).get(base).status_code == 404
    assert api_as(rep_b).delete(f"{base}/{attachment.pk}").status_code == 404
    assert api_as(marketer).post(base, {"url": "https://example.com/b"}).status_code == 403
    assert api_as(marketer).delete(f"{base}/{attachment.pk}").status_code == 403
    assert client.delete(f"{base}/999999").status_code == 404
    assert list(DealAttachment.objects.values_list("pk", flat=True)) == [attachment.pk]
