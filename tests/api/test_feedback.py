"""The feedback inbox over the API: items, topics and theme runs, with the UI's rules (everyone
reads and records by hand; feedback on a deal hidden from the caller is hidden too; marketers,
sales managers and admins shape topics; hand-entered items are changed by their author or them)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from revline.audit.models import AuditEntry
from revline.feedback import services
from revline.feedback.models import FeedbackItem, RunStatus, ThemeRun, Topic
from revline.people.services import company_create, contact_create
from revline.sales.services import deal_create
from tests.feedback.test_services import PRICE, REPORTS, SUPPORT, record_many, run_themes

from .conftest import error_fields

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def contact(db):
    company = company_create(actor=None, name="Acme GmbH", industry="Software")
    return contact_create(
        actor=None, first_name="Ada", last_name="Lovelace", email="ada@acme.example",
        company=company,
    )  # fmt: skip


@pytest.fixture
def deal(rep_a, contact):
    return deal_create(
        actor=rep_a, name="Acme rollout", amount=Decimal("12000"), contact=contact, owner=rep_a
    )


def _manual(actor, text="Exports are slow", **extra) -> FeedbackItem:
    return services.feedback_create(actor=actor, text=text, occurred_at=NOW, **extra)


def _actions(obj) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("pk")
        .values_list("action", "actor__username")
    )


# --- items --------------------------------------------------------------------------------------


def test_create_feedback_by_hand(api_as, rep_a, deal, contact):
    response = api_as(rep_a).post(
        "/feedback",
        {"text": " The reports are great ", "deal_id": deal.pk, "score": 9,
         "occurred_at": "2025-05-01T10:00:00Z"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    item = FeedbackItem.objects.get()
    assert {k: body[k] for k in ("id", "source", "source_id", "text", "score", "occurred_at")} == {
        "id": item.pk, "source": "manual", "source_id": None, "text": "The reports are great",
        "score": 9, "occurred_at": "2025-05-01T10:00:00Z",
    }  # fmt: skip
    assert body["sentiment"] == "positive"
    assert (body["deal"]["id"], body["contact"]["id"], body["company"]["name"]) == (
        deal.pk, contact.pk, "Acme GmbH",
    )  # fmt: skip
    assert body["created_by"]["id"] == rep_a.pk
    assert _actions(item) == [("create", "rep_a")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "Slow", "score": 11}, "score"),
        ({"text": "Slow", "contact_id": 999999}, "contact_id"),
        ({"text": "Slow", "deal_id": 999999}, "deal_id"),
        ({"text": "Slow", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"text": "Slow", "source": "survey"}, "source"),
        ({"text": "Slow", "topic_id": 1}, "topic_id"),
    ],
)
def test_create_feedback_with_bad_input_is_422_and_creates_nothing(api_as, rep_a, body, field):
    response = api_as(rep_a).post("/feedback", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert FeedbackItem.objects.count() == 0


def test_feedback_on_a_deal_the_rep_may_not_see_is_refused(api_as, rep_b, deal):
    response = api_as(rep_b).post("/feedback", {"text": "Too pricey", "deal_id": deal.pk})
    assert (response.status_code, response.json()) == (403, {"detail": "You cannot see that deal."})
    assert FeedbackItem.objects.count() == 0


def test_list_filters_sorts_and_hides_feedback_on_hidden_deals(api_as, rep_a, rep_b, deal):
    on_deal = _manual(rep_a, "The price is too expensive", deal=deal)
    services.feedback_record(
        source="survey", source_id=5, text="Support was great", occurred_at=NOW - timedelta(days=3)
    )
    topic = Topic.objects.create(name="Pricing", created_at=NOW)
    FeedbackItem.objects.filter(pk=on_deal.pk).update(topic=topic)

    def texts(api, **params):
        response = api.get("/feedback", params)
        assert response.status_code == 200, response.json()
        return [i["text"] for i in response.json()["items"]]

    api = api_as(rep_a)
    assert texts(api) == ["The price is too expensive", "Support was great"]
    assert texts(api, sort="occurred_at") == ["Support was great", "The price is too expensive"]
    assert texts(api, source="survey") == ["Support was great"]
    assert texts(api, sentiment="negative") == ["The price is too expensive"]
    assert texts(api, topic_id=topic.pk) == ["The price is too expensive"]
    assert texts(api, no_topic=True) == ["Support was great"]
    assert texts(api, date_from="2025-05-19") == ["The price is too expensive"]
    assert texts(api, q="acme") == ["The price is too expensive"]
    assert texts(api_as(rep_b)) == ["Support was great"]
    assert api.get("/feedback", {"source": "email"}).status_code == 422
    assert api.get("/feedback", {"sort": "text"}).status_code == 422
    assert api.get("/feedback", {"topic_id": 2**64}).status_code == 422


def test_read_feedback(api_as, rep_a, rep_b, deal):
    item = _manual(rep_a, deal=deal)
    assert api_as(rep_a).get(f"/feedback/{item.pk}").json()["text"] == "Exports are slow"
    assert api_as(rep_b).get(f"/feedback/{item.pk}").status_code == 404
    assert api_as(rep_a).get("/feedback/999999").status_code == 404


def test_the_author_updates_hand_entered_feedback(api_as, rep_a):
    item = _manual(rep_a, score=4)
    response = api_as(rep_a).patch(
        f"/feedback/{item.pk}", {"text": "Exports are great now", "score": None}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["score"], body["sentiment"]) == (
        "Exports are great now", None, "positive",
    )  # fmt: skip
    item.refresh_from_db()
    assert (item.text, item.score) == ("Exports are great now", None)
    entry = AuditEntry.objects.get(object_type="feedback.feedbackitem", action="update")
    assert entry.changes["text"] == ["Exports are slow", "Exports are great now"]
    assert entry.changes["score"] == [4, None]


def test_update_refusals_change_nothing(api_as, rep_a, rep_b, marketer):
    item = _manual(rep_a)
    survey_item = services.feedback_record(
        source="survey", source_id=5, text="Support was great", occurred_at=NOW
    )
    topic = Topic.objects.create(name="Pricing", created_at=NOW)
    api = api_as(rep_a)
    assert error_fields(api.patch(f"/feedback/{item.pk}", {"text": " "})) == ["text"]
    assert error_fields(api.patch(f"/feedback/{item.pk}", {"text": None})) == ["text"]
    assert error_fields(api.patch(f"/feedback/{item.pk}", {"score": 99})) == ["score"]
    assert error_fields(api.patch(f"/feedback/{item.pk}", {"source": "survey"})) == ["source"]
    assert error_fields(api_as(marketer).patch(f"/feedback/{item.pk}", {"topic_id": 999999})) == [
        "topic_id"
    ]
    # Another rep may not change it; nobody changes what a survey answer said; only editors
    # move items between topics.
    assert api_as(rep_b).patch(f"/feedback/{item.pk}", {"text": "Mine"}).status_code == 403
    assert api_as(marketer).patch(f"/feedback/{survey_item.pk}", {"text": "X"}).status_code == 403
    assert api.patch(f"/feedback/{item.pk}", {"topic_id": topic.pk}).status_code == 403
    assert api.patch("/feedback/999999", {"text": "X"}).status_code == 404
    item.refresh_from_db()
    survey_item.refresh_from_db()
    assert (item.text, item.topic_id, survey_item.text) == (
        "Exports are slow", None, "Support was great",
    )  # fmt: skip


def test_an_editor_moves_any_item_to_a_topic(api_as, manager_a):
    item = services.feedback_record(
        source="survey", source_id=5, text="Support was great", occurred_at=NOW
    )
    topic = Topic.objects.create(name="Support", created_at=NOW)
    api = api_as(manager_a)
    moved = api.patch(f"/feedback/{item.pk}", {"topic_id": topic.pk})
    assert (moved.status_code, moved.json()["topic"]) == (200, {"id": topic.pk, "name": "Support"})
    cleared = api.patch(f"/feedback/{item.pk}", {"topic_id": None})
    assert cleared.json()["topic"] is None


def test_delete_feedback(api_as, rep_a, rep_b, marketer):
    item = _manual(rep_a)
    survey_item = services.feedback_record(
        source="survey", source_id=5, text="Support was great", occurred_at=NOW
    )
    assert api_as(rep_b).delete(f"/feedback/{item.pk}").status_code == 403
    assert api_as(marketer).delete(f"/feedback/{survey_item.pk}").status_code == 403
    assert api_as(rep_a).delete("/feedback/999999").status_code == 404
    assert FeedbackItem.objects.count() == 2
    assert api_as(rep_a).delete(f"/feedback/{item.pk}").status_code == 204
    assert list(FeedbackItem.objects.values_list("pk", flat=True)) == [survey_item.pk]
    assert _actions(item) == [("create", "rep_a"), ("delete", "rep_a")]


# --- topics -------------------------------------------------------------------------------------


def test_topics_list_and_read_with_visible_counts(api_as, rep_a, rep_b, deal):
    pricing = Topic.objects.create(name="Pricing", created_at=NOW, top_terms=["price"])
    support = Topic.objects.create(name="Support", created_at=NOW)
    hidden = _manual(rep_a, "Price too high", deal=deal)
    seen = _manual(rep_b, "Price is steep")
    FeedbackItem.objects.filter(pk__in=[hidden.pk, seen.pk]).update(topic=pricing)
    body = api_as(rep_a).get("/feedback/topics", {"sort": "-items"}).json()
    assert [(t["name"], t["items"]) for t in body["items"]] == [("Pricing", 2), ("Support", 0)]
    assert api_as(rep_b).get(f"/feedback/topics/{pricing.pk}").json()["items"] == 1
    assert api_as(rep_a).get("/feedback/topics", {"q": "supp"}).json()["total"] == 1
    assert api_as(rep_a).get(f"/feedback/topics/{support.pk}").json()["top_terms"] == []
    assert api_as(rep_a).get("/feedback/topics/999999").status_code == 404
    assert api_as(rep_a).get("/feedback/topics", {"sort": "size"}).status_code == 422


def test_rename_topic(api_as, marketer, rep_a):
    topic = Topic.objects.create(name="price budget", created_at=NOW)
    Topic.objects.create(name="Support", created_at=NOW)
    api = api_as(marketer)
    assert api_as(rep_a).patch(f"/feedback/topics/{topic.pk}", {"name": "X"}).status_code == 403
    assert api.patch("/feedback/topics/999999", {"name": "X"}).status_code == 404
    assert error_fields(api.patch(f"/feedback/topics/{topic.pk}", {"name": " "})) == ["name"]
    assert error_fields(api.patch(f"/feedback/topics/{topic.pk}", {"name": "support"})) == ["name"]
    topic.refresh_from_db()
    assert (topic.name, topic.is_renamed) == ("price budget", False)
    renamed = api.patch(f"/feedback/topics/{topic.pk}", {"name": "Pricing"})
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["is_renamed"]) == (
        200, "Pricing", True,
    )  # fmt: skip
    assert _actions(topic) == [("update", "marketer")]


def test_merge_topic(api_as, manager_a, rep_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes()
    price = FeedbackItem.objects.get(text=PRICE[0]).topic
    support = FeedbackItem.objects.get(text=SUPPORT[0]).topic
    api = api_as(manager_a)
    url = f"/feedback/topics/{price.pk}/merge"
    assert api_as(rep_a).post(url, {"into_id": support.pk}).status_code == 403
    assert api.post("/feedback/topics/999999/merge", {"into_id": support.pk}).status_code == 404
    assert error_fields(api.post(url, {"into_id": 999999})) == ["into_id"]
    assert error_fields(api.post(url, {"into_id": price.pk})) == ["into"]
    assert Topic.objects.filter(pk=price.pk).exists()
    merged = api.post(url, {"into_id": support.pk})
    assert (merged.status_code, merged.json()["id"], merged.json()["items"]) == (
        200, support.pk, 12,
    )  # fmt: skip
    assert not Topic.objects.filter(pk=price.pk).exists()
    assert _actions(price) == [("delete", "manager_a")]


def test_split_topic(api_as, marketer, rep_a):
    record_many(PRICE + SUPPORT + REPORTS)
    run_themes(n_topics=2)
    mixed = FeedbackItem.objects.get(text=PRICE[0]).topic
    tiny = Topic.objects.create(name="Tiny", created_at=NOW)
    api = api_as(marketer)
    assert api_as(rep_a).post(f"/feedback/topics/{mixed.pk}/split").status_code == 403
    assert api.post("/feedback/topics/999999/split").status_code == 404
    refused = api.post(f"/feedback/topics/{tiny.pk}/split")
    assert (refused.status_code, error_fields(refused)) == (422, ["topic"])
    count = Topic.objects.count()
    split = api.post(f"/feedback/topics/{mixed.pk}/split")
    assert split.status_code == 201
    assert split.json()["items"] == 6
    assert Topic.objects.count() == count + 1
    assert _actions(Topic.objects.get(pk=split.json()["id"])) == [("create", "marketer")]


# --- theme runs ---------------------------------------------------------------------------------


def test_request_a_theme_run_in_the_background(
    api_as, marketer, rep_a, django_capture_on_commit_callbacks
):
    api = api_as(marketer)
    assert api_as(rep_a).post("/feedback/theme-runs", {}).status_code == 403
    assert error_fields(api.post("/feedback/theme-runs", {"n_topics": 50})) == ["n_topics"]
    assert ThemeRun.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api.post("/feedback/theme-runs", {"n_topics": 3})
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["parameters"]["n_topics"], body["requested_by"]["id"]) == (
        "queued", 3, marketer.pk,
    )  # fmt: skip
    assert len(queued) == 1
    again = api.post("/feedback/theme-runs", {})
    assert again.status_code == 422
    assert ThemeRun.objects.count() == 1
    assert api_as(rep_a).get(f"/feedback/theme-runs/{body['id']}").json()["status"] == "queued"
    assert api_as(rep_a).get("/feedback/theme-runs").json()["total"] == 1
    assert api_as(rep_a).get("/feedback/theme-runs/999999").status_code == 404


def test_a_theme_run_runs_after_the_commit(api_as, marketer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(marketer).post("/feedback/theme-runs", {})
    run = ThemeRun.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.REFUSED  # no items yet
