"""The pipelines page: stages with their deal numbers, creating pipelines and editing stages."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.sales.models import Pipeline, Stage
from revline.sales.services import deal_close_won, pipeline_update

from .conftest import make_deal, stage

URL = "/sales/pipelines/"


def stage_rows(response, pipeline) -> list[tuple]:
    row = next(r for r in response.context["rows"] if r.pipeline == pipeline)
    return [
        (s.stage.name, s.stage.probability, s.stage.kind, s.deals, s.amount) for s in row.stages
    ]


@pytest.mark.django_db
def test_pipelines_list_stages_with_deal_counts_and_amounts(client, rep_a, pipeline):
    make_deal(rep_a, "A", "1000")
    make_deal(rep_a, "B", "500", stage=stage(pipeline, "Proposal"))
    make_deal(rep_a, "C", "700", currency="CHF", stage=stage(pipeline, "Proposal"))
    deal_close_won(actor=None, deal=make_deal(rep_a, "D", "300"), note="Yes")
    client.force_login(rep_a)

    response = client.get(URL)

    assert response.status_code == 200
    assert stage_rows(response, pipeline) == [
        ("Qualification", 10, "open", 1, Decimal("1000")),
        ("Discovery", 25, "open", 0, Decimal("0")),
        ("Proposal", 50, "open", 2, Decimal("500")),
        ("Negotiation", 75, "open", 0, Decimal("0")),
        ("Won", 100, "won", 1, Decimal("300")),
        ("Lost", 0, "lost", 0, Decimal("0")),
    ]
    row = response.context["rows"][0]
    assert (row.open_deals, row.open_amount, row.weighted_amount) == (
        3,
        Decimal("1500"),
        Decimal("350.00"),
    )
    assert [s.bar_percent for s in row.stages] == [100, 0, 50, 0, 0, 0]
    html = response.content.decode()
    assert "+ 1 not in EUR" in html
    assert "New pipeline" not in html  # reps only read pipelines
    assert "/edit/" not in html


@pytest.mark.django_db
def test_an_empty_workspace_explains_where_pipelines_come_from(client, rep_a):
    client.force_login(rep_a)

    response = client.get(URL)

    assert "No pipelines yet." in response.content.decode()
    assert Pipeline.objects.count() == 0  # a GET creates nothing


@pytest.mark.django_db
def test_a_manager_creates_a_pipeline_with_won_and_lost_added(client, manager_a, pipeline):
    client.force_login(manager_a)
    assert "New pipeline" in client.get(URL).content.decode()

    response = client.post(URL, {"name": " Renewals ", "stages": "Check-in, 20\nOffer, 60%\n"})

    assert response.status_code == 302
    renewals = Pipeline.objects.get(name="Renewals")
    assert list(renewals.stages.values_list("name", "position", "probability", "kind")) == [
        ("Check-in", 0, 20, "open"),
        ("Offer", 1, 60, "open"),
        ("Won", 2, 100, "won"),
        ("Lost", 3, 0, "lost"),
    ]
    assert not renewals.is_default
    pipeline.refresh_from_db()
    assert pipeline.is_default


@pytest.mark.django_db
def test_a_new_default_pipeline_takes_over_from_the_old_one(client, admin_user, pipeline):
    client.force_login(admin_user)

    client.post(URL, {"name": "Enterprise", "stages": "Pitch, 20", "is_default": "on"})

    assert list(Pipeline.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "Enterprise"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "errors"),
    [
        ({"name": "", "stages": "A, 10"}, "name", ["This field is required."]),
        (
            {"name": "new business", "stages": "A, 10"},
            "name",
            ["A pipeline with this name already exists."],
        ),
        ({"name": "X", "stages": ""}, "stages", ["This field is required."]),
        ({"name": "X", "stages": "\n \n"}, "stages", ["This field is required."]),
        (
            {"name": "X", "stages": "Pitch"},
            "stages",
            ["Line 1: write “Name, probability”, e.g. “Discovery, 25”."],
        ),
        (
            {"name": "X", "stages": "Pitch, 200\nLost, 0"},
            "stages",
            [
                "Line 1: the probability must be a whole number from 0 to 100.",
                "Line 2: “Lost” is added automatically; leave it out.",
            ],
        ),
    ],
)
def test_creating_a_pipeline_with_bad_input_shows_errors_and_creates_nothing(
    client, manager_a, pipeline, data, field, errors
):
    client.force_login(manager_a)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == errors
    assert list(Pipeline.objects.values_list("name", flat=True)) == ["New business"]
    assert Stage.objects.count() == 6


@pytest.mark.django_db
def test_reps_and_marketers_cannot_create_or_edit_pipelines(client, rep_a, marketer, pipeline):
    for user in (rep_a, marketer):
        client.force_login(user)

        assert client.post(URL, {"name": "Sneaky", "stages": "A, 10"}).status_code == 403
        assert client.get(f"/sales/pipelines/{pipeline.pk}/edit/").status_code == 403
        assert (
            client.post(f"/sales/pipelines/{pipeline.pk}/edit/", {"name": "Hacked"}).status_code
            == 403
        )

    pipeline.refresh_from_db()
    assert pipeline.name == "New business"
    assert Pipeline.objects.count() == 1


def edit_data(pipeline, **changes) -> dict:
    data = {"name": pipeline.name}
    for s in pipeline.stages.all():
        data[f"stage_{s.pk}_name"] = s.name
        if s.kind == "open":
            data[f"stage_{s.pk}_probability"] = str(s.probability)
    return {**data, **changes}


@pytest.mark.django_db
def test_a_manager_renames_stages_and_changes_probabilities(client, manager_a, pipeline):
    client.force_login(manager_a)
    discovery, proposal = stage(pipeline, "Discovery"), stage(pipeline, "Proposal")
    assert client.get(f"/sales/pipelines/{pipeline.pk}/edit/").status_code == 200

    response = client.post(
        f"/sales/pipelines/{pipeline.pk}/edit/",
        edit_data(
            pipeline,
            name="Inbound",
            **{
                # a swap: both names exist already, which the unique constraint must survive
                f"stage_{discovery.pk}_name": "Proposal",
                f"stage_{proposal.pk}_name": "Discovery",
                f"stage_{proposal.pk}_probability": "40",
            },
        ),
    )

    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.name == "Inbound"
    assert list(pipeline.stages.values_list("name", "probability")) == [
        ("Qualification", 10),
        ("Proposal", 25),
        ("Discovery", 40),
        ("Negotiation", 75),
        ("Won", 100),
        ("Lost", 0),
    ]


@pytest.mark.django_db
def test_editing_stages_with_bad_input_changes_nothing(client, manager_a, pipeline):
    client.force_login(manager_a)
    discovery, proposal = stage(pipeline, "Discovery"), stage(pipeline, "Proposal")
    before = list(Stage.objects.values_list("pk", "name", "probability"))

    response = client.post(
        f"/sales/pipelines/{pipeline.pk}/edit/",
        edit_data(
            pipeline,
            name="Renamed",
            **{
                f"stage_{discovery.pk}_name": "proposal",
                f"stage_{proposal.pk}_probability": "101",
            },
        ),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors[f"stage_{discovery.pk}_name"] == ["“proposal” is used by another stage."]
    assert errors[f"stage_{proposal.pk}_probability"] == [
        "Ensure this value is less than or equal to 100."
    ]
    assert list(Stage.objects.values_list("pk", "name", "probability")) == before
    pipeline.refresh_from_db()
    assert pipeline.name == "New business"


@pytest.mark.django_db
def test_pipeline_update_guards_its_rules(manager_a, rep_a, pipeline):
    won = stage(pipeline, "Won")
    other = Pipeline.objects.create(name="Other")
    foreign = Stage.objects.create(pipeline=other, name="Elsewhere", position=0, probability=5)

    with pytest.raises(PermissionDenied):
        pipeline_update(actor=rep_a, pipeline=pipeline, name="X", stages={})
    with pytest.raises(ValidationError) as fixed:
        pipeline_update(
            actor=manager_a, pipeline=pipeline, name="New business", stages={won.pk: ("Won", 90)}
        )
    with pytest.raises(ValidationError) as foreign_stage:
        pipeline_update(
            actor=manager_a, pipeline=pipeline, name="New business", stages={foreign.pk: ("Y", 5)}
        )
    with pytest.raises(ValidationError) as taken:
        pipeline_update(actor=manager_a, pipeline=pipeline, name="other", stages={})

    assert fixed.value.message_dict == {"stages": ["The probability of the won stage is fixed."]}
    assert foreign_stage.value.message_dict == {
        "stages": ["Those stages belong to another pipeline."]
    }
    assert taken.value.message_dict == {"name": ["A pipeline with this name already exists."]}
    won.refresh_from_db()
    assert (won.name, won.probability) == ("Won", 100)

    pipeline_update(
        actor=manager_a,
        pipeline=pipeline,
        name="New business",
        stages={won.pk: ("Closed won", 100)},
    )
    won.refresh_from_db()
    assert won.name == "Closed won"
