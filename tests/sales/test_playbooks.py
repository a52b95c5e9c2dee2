"""Stage playbooks: the editor for managers, and the checklist reps tick on a deal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.content.models import ContentItem
from revline.sales.models import PlaybookItem, PlaybookTick, StagePlaybook
from revline.sales.playbook_selectors import deal_playbook
from revline.sales.playbook_services import playbook_save, playbook_tick_toggle
from revline.sales.services import pipeline_create

from .conftest import at, make_deal, stage

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deck(db) -> ContentItem:
    return ContentItem.objects.create(
        title="Pricing deck", kind="whitepaper", url="https://example.com/deck"
    )


@pytest.fixture
def playbook(manager_a, pipeline, deck) -> StagePlaybook:
    return playbook_save(
        actor=manager_a,
        stage=stage(pipeline, "Qualification"),
        talk_track="Ask about their current tool.",
        questions=["What is the budget?", "  Who decides? ", "", "what is the budget?"],
        tasks=["Find the champion"],
        content=[deck],
    )


@pytest.fixture
def deal(rep_a, pipeline, ada):
    return make_deal(rep_a, "Ada renewal", contact=ada, created_at=at(1))


def items(pb: StagePlaybook) -> list[tuple[str, str, int]]:
    return [(i.kind, i.text, i.position) for i in pb.items.all()]


@pytest.mark.django_db
def test_save_cleans_lines_and_keeps_order(playbook, deck):
    assert items(playbook) == [
        ("question", "What is the budget?", 0),
        ("question", "Who decides?", 1),
        ("task", "Find the champion", 2),
    ]
    assert playbook.talk_track == "Ask about their current tool."
    assert list(playbook.content.all()) == [deck]


@pytest.mark.django_db
def test_resaving_keeps_ticks_of_unchanged_lines(manager_a, rep_a, pipeline, playbook, deal):
    budget = playbook.items.get(text="What is the budget?")
    decides = playbook.items.get(text="Who decides?")
    playbook_tick_toggle(actor=rep_a, deal=deal, item=budget, at=at(2))
    playbook_tick_toggle(actor=rep_a, deal=deal, item=decides, at=at(2))

    playbook_save(
        actor=manager_a,
        stage=stage(pipeline, "Qualification"),
        talk_track="",
        questions=["Who decides?", "What is the budget?"],
        tasks=[],
        content=[],
    )

    assert items(playbook) == [
        ("question", "Who decides?", 0),
        ("question", "What is the budget?", 1),
    ]
    assert PlaybookTick.objects.filter(deal=deal).count() == 2


@pytest.mark.django_db
def test_only_managers_and_admins_edit_playbooks(rep_a, pipeline):
    with pytest.raises(PermissionDenied):
        playbook_save(
            actor=rep_a,
            stage=stage(pipeline, "Proposal"),
            talk_track="x",
            questions=[],
            tasks=[],
            content=[],
        )

    assert StagePlaybook.objects.count() == 0


@pytest.mark.django_db
def test_bad_playbook_input_is_refused(admin_user, pipeline):
    for kwargs in [
        dict(stage=stage(pipeline, "Won"), questions=["Q"]),
        dict(stage=stage(pipeline, "Proposal"), questions=["x" * 301]),
        dict(stage=stage(pipeline, "Proposal"), questions=[f"Q{i}" for i in range(41)]),
    ]:
        with pytest.raises(ValidationError):
            playbook_save(actor=admin_user, talk_track="", tasks=[], content=[], **kwargs)

    assert StagePlaybook.objects.count() == 0


@pytest.mark.django_db
def test_tick_toggles(rep_a, playbook, deal):
    item = playbook.items.first()

    first = playbook_tick_toggle(actor=rep_a, deal=deal, item=item, at=at(2))
    book = deal_playbook(deal)
    second = playbook_tick_toggle(actor=rep_a, deal=deal, item=item, at=at(3))

    assert (first, second) == (True, False)
    assert (book.done, book.total, book.percent) == (1, 3, 33)
    assert not PlaybookTick.objects.exists()


@pytest.mark.django_db
def test_tick_refused_for_other_team_and_other_pipeline(rep_a, rep_b, admin_user, playbook, deal):
    other = pipeline_create(
        actor=None,
        name="Renewals",
        stages=[("Check", 50, "open"), ("W", 100, "won"), ("L", 0, "lost")],
    )
    foreign = playbook_save(
        actor=admin_user,
        stage=other.stages.get(name="Check"),
        talk_track="",
        questions=["Q"],
        tasks=[],
        content=[],
    ).items.get()

    with pytest.raises(PermissionDenied):
        playbook_tick_toggle(actor=rep_b, deal=deal, item=playbook.items.first())
    with pytest.raises(ValidationError):
        playbook_tick_toggle(actor=rep_a, deal=deal, item=foreign)

    assert not PlaybookTick.objects.exists()


# --- views --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_editor_lists_open_stages_and_saves_one(client, manager_a, pipeline, deck):
    client.force_login(manager_a)
    proposal = stage(pipeline, "Proposal")

    page = client.get(f"/sales/pipelines/{pipeline.pk}/playbooks/")
    saved = client.post(
        f"/sales/pipelines/{pipeline.pk}/playbooks/",
        {
            "stage": proposal.pk,
            f"s{proposal.pk}-talk_track": "Anchor on value.",
            f"s{proposal.pk}-questions": "Any blockers?\nTimeline?",
            f"s{proposal.pk}-tasks": "Send proposal",
            f"s{proposal.pk}-content": [deck.pk],
        },
    )

    assert page.status_code == 200
    assert [row.stage.name for row, _ in page.context["sections"]] == [
        "Qualification",
        "Discovery",
        "Proposal",
        "Negotiation",
    ]
    assert saved.status_code == 302
    playbook = StagePlaybook.objects.get(stage=proposal)
    assert items(playbook) == [
        ("question", "Any blockers?", 0),
        ("question", "Timeline?", 1),
        ("task", "Send proposal", 2),
    ]
    assert list(playbook.content.all()) == [deck]


@pytest.mark.django_db
def test_editor_refuses_reps_bad_stages_and_bad_content(client, rep_a, manager_a, pipeline):
    client.force_login(rep_a)
    as_rep = client.get(f"/sales/pipelines/{pipeline.pk}/playbooks/")
    client.force_login(manager_a)
    won = client.post(
        f"/sales/pipelines/{pipeline.pk}/playbooks/", {"stage": stage(pipeline, "Won").pk}
    )
    proposal = stage(pipeline, "Proposal")
    bad_content = client.post(
        f"/sales/pipelines/{pipeline.pk}/playbooks/",
        {"stage": proposal.pk, f"s{proposal.pk}-content": ["999"]},
    )

    assert (as_rep.status_code, won.status_code, bad_content.status_code) == (403, 400, 400)
    assert StagePlaybook.objects.count() == 0


@pytest.mark.django_db
def test_panel_shows_the_current_stage_playbook(client, rep_a, playbook, deal):
    client.force_login(rep_a)

    response = client.get(f"/sales/deals/{deal.pk}/playbook/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Playbook · Qualification" in html
    assert "What is the budget?" in html and "Find the champion" in html
    assert "Ask about their current tool." in html
    assert "Pricing deck" in html and "Send to contact" in html


@pytest.mark.django_db
def test_panel_tick_by_htmx(client, rep_a, playbook, deal):
    item = playbook.items.get(text="Who decides?")
    client.force_login(rep_a)

    response = client.post(f"/sales/deals/{deal.pk}/playbook/items/{item.pk}/tick/", **HX)

    assert response.status_code == 200
    assert PlaybookTick.objects.get().item == item
    assert "1 of 3 done" in response.content.decode()


@pytest.mark.django_db
def test_panel_and_tick_are_404_for_another_team(client, rep_b, playbook, deal):
    item = playbook.items.first()
    client.force_login(rep_b)

    panel = client.get(f"/sales/deals/{deal.pk}/playbook/")
    tick = client.post(f"/sales/deals/{deal.pk}/playbook/items/{item.pk}/tick/", **HX)
    missing = client.post(f"/sales/deals/{deal.pk}/playbook/items/999/tick/", **HX)

    assert (panel.status_code, tick.status_code, missing.status_code) == (404, 404, 404)
    assert not PlaybookTick.objects.exists()


@pytest.mark.django_db
def test_tick_by_get_is_refused(client, rep_a, playbook, deal):
    client.force_login(rep_a)

    response = client.get(
        f"/sales/deals/{deal.pk}/playbook/items/{playbook.items.first().pk}/tick/"
    )

    assert response.status_code == 405
    assert not PlaybookTick.objects.exists()


@pytest.mark.django_db
def test_panel_without_playbook(client, manager_a, deal):
    client.force_login(manager_a)

    html = client.get(f"/sales/deals/{deal.pk}/playbook/").content.decode()

    assert "No playbook for the Qualification stage yet." in html
    assert PlaybookItem.objects.count() == 0
