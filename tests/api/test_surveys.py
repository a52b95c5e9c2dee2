"""Surveys over the API: CRUD, versioned questions, publish/close, distributions, invites,
responses and results. Everyone reads; marketers and admins change."""

from datetime import UTC, datetime

import pytest
from django.core import mail

from revline.audit.models import AuditEntry
from revline.segments.models import Segment
from revline.surveys import services
from revline.surveys.models import Question, Survey, SurveyDistribution, SurveyInvite
from tests.surveys.conftest import make_contact, make_nps_survey, post_data

from .conftest import error_fields

pytestmark = pytest.mark.django_db

EVERYONE = {"match": "all", "conditions": []}


def _answer(survey: Survey, n: int, score: str, why: str = "") -> None:
    data = post_data(survey, How=score, Why=why) if why else post_data(survey, How=score)
    services.response_submit(
        survey=survey,
        version=survey.live_version,
        get_list=lambda k, d=data: d.get(k, []),
        invite=services.invite_for(survey=survey, contact=make_contact(n)),
        now=datetime(2025, 3, 5, tzinfo=UTC),
    )


def _audit(obj, action: str) -> list[str]:
    """Who the audit log says did `action` to `obj` (usernames)."""
    return list(
        AuditEntry.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action
        ).values_list("actor__username", flat=True)
    )


# --- surveys ------------------------------------------------------------------------------------


def test_create_survey_returns_the_draft_with_an_empty_first_version(api_as, marketer):
    response = api_as(marketer).post(
        "/surveys", {"name": " Customer NPS ", "intro": "Two minutes.", "allow_anonymous": True}
    )
    assert response.status_code == 201
    body = response.json()
    survey = Survey.objects.get()
    assert {k: body[k] for k in body if k not in ("created_at", "updated_at", "created_by")} == {
        "id": survey.pk,
        "name": "Customer NPS",
        "slug": "customer-nps",
        "status": "draft",
        "intro": "Two minutes.",
        "thank_you": "Thank you for your answers!",
        "allow_anonymous": True,
        "allow_repeat": False,
        "live_version": None,
        "version": 1,
        "version_locked": False,
        "response_count": 0,
        "questions": [],
    }
    assert body["created_by"]["id"] == marketer.pk
    assert _audit(survey, "create") == ["marketer"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "slug": "Not A Slug"}, "slug"),
        ({"name": "X", "status": "open"}, "status"),
        ({"name": "X" * 201}, "name"),
        ({"name": "X", "allow_repeat": "maybe"}, "allow_repeat"),
    ],
)
def test_create_survey_with_bad_input_is_422_and_creates_nothing(api_as, marketer, body, field):
    response = api_as(marketer).post("/surveys", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Survey.objects.count() == 0


def test_create_survey_with_a_taken_slug_is_422(api_as, marketer):
    make_nps_survey(marketer, publish=False)
    response = api_as(marketer).post("/surveys", {"name": "Other", "slug": "nps"})
    assert response.status_code == 422
    assert error_fields(response) == ["slug"]
    assert Survey.objects.count() == 1


def test_a_rep_may_not_create_surveys(api_as, rep_a):
    response = api_as(rep_a).post("/surveys", {"name": "Mine"})
    assert response.status_code == 403
    assert response.json() == {"detail": services.MARKETING_ONLY}
    assert Survey.objects.count() == 0


def test_list_surveys_filters_sorts_and_paginates(api_as, marketer, rep_a):
    make_nps_survey(marketer)
    services.survey_create(actor=marketer, name="Beta feedback")
    services.survey_create(actor=marketer, name="Alpha feedback")
    api = api_as(rep_a)
    body = api.get("/surveys", {"sort": "name", "limit": 2}).json()
    assert (body["total"], [s["name"] for s in body["items"]]) == (
        3,
        ["Alpha feedback", "Beta feedback"],
    )
    assert [s["slug"] for s in api.get("/surveys", {"status": "open"}).json()["items"]] == ["nps"]
    assert [s["name"] for s in api.get("/surveys", {"q": "beta"}).json()["items"]] == [
        "Beta feedback"
    ]
    assert api.get("/surveys", {"status": "paused"}).status_code == 422
    assert api.get("/surveys", {"sort": "slug; drop"}).status_code == 422


def test_get_survey_shows_the_questions_of_the_newest_version(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer)
    body = api_as(rep_a).get(f"/surveys/{survey.pk}").json()
    assert (body["status"], body["live_version"], body["version"]) == ("open", 1, 1)
    assert [(q["position"], q["kind"], q["version"]) for q in body["questions"]] == [
        (1, "nps", 1),
        (2, "text", 1),
        (3, "text", 1),
        (4, "multiple", 1),
    ]
    assert body["questions"][3]["options"] == ["Reports", "Integrations", "Email"]
    assert api_as(rep_a).get("/surveys/999999").status_code == 404


def test_update_survey_changes_only_the_fields_sent(api_as, marketer):
    survey = make_nps_survey(marketer, publish=False)
    response = api_as(marketer).patch(f"/surveys/{survey.pk}", {"intro": "Quick one."})
    assert response.status_code == 200
    assert (response.json()["intro"], response.json()["name"]) == ("Quick one.", "Customer NPS")
    survey.refresh_from_db()
    assert survey.intro == "Quick one."
    entry = AuditEntry.objects.get(object_type="surveys.survey", action="update")
    assert entry.changes == {"intro": ["", "Quick one."]}


def test_update_survey_refusals_change_nothing(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer, publish=False)
    api = api_as(marketer)
    assert error_fields(api.patch(f"/surveys/{survey.pk}", {"name": None})) == ["name"]
    assert error_fields(api.patch(f"/surveys/{survey.pk}", {"slug": "A B"})) == ["slug"]
    assert error_fields(api.patch(f"/surveys/{survey.pk}", {"live_version": 3})) == ["live_version"]
    assert api_as(rep_a).patch(f"/surveys/{survey.pk}", {"name": "Mine"}).status_code == 403
    assert api.patch("/surveys/999999", {"name": "X"}).status_code == 404
    survey.refresh_from_db()
    assert (survey.name, survey.slug) == ("Customer NPS", "nps")


def test_delete_survey_without_responses(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer)
    assert api_as(rep_a).delete(f"/surveys/{survey.pk}").status_code == 403
    assert api_as(marketer).delete("/surveys/999999").status_code == 404
    assert Survey.objects.count() == 1
    response = api_as(marketer).delete(f"/surveys/{survey.pk}")
    assert response.status_code == 204
    assert Survey.objects.count() == 0
    assert Question.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="surveys.survey", action="delete").count() == 1


def test_a_survey_with_responses_is_not_deleted(api_as, marketer):
    survey = make_nps_survey(marketer)
    _answer(survey, 1, "9")
    response = api_as(marketer).delete(f"/surveys/{survey.pk}")
    assert response.status_code == 422
    assert error_fields(response) == ["survey"]
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_publish_and_close(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer, publish=False)
    empty = services.survey_create(actor=marketer, name="Empty")
    api = api_as(marketer)
    assert api_as(rep_a).post(f"/surveys/{survey.pk}/publish").status_code == 403
    assert api.post("/surveys/999999/publish").status_code == 404
    refused = api.post(f"/surveys/{empty.pk}/publish")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "Add at least one question before publishing."
    published = api.post(f"/surveys/{survey.pk}/publish")
    assert (published.status_code, published.json()["status"]) == (200, "open")
    assert published.json()["live_version"] == 1
    assert api_as(rep_a).post(f"/surveys/{survey.pk}/close").status_code == 403
    assert api.post("/surveys/999999/close").status_code == 404
    closed = api.post(f"/surveys/{survey.pk}/close")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    again = api.post(f"/surveys/{survey.pk}/close")
    assert again.status_code == 422
    survey.refresh_from_db()
    assert survey.status == "closed"
    assert [e.changes.get("status") for e in AuditEntry.objects.filter(
        object_type="surveys.survey", action="update").order_by("pk")] == [
        ["draft", "open"], ["open", "closed"]]  # fmt: skip


# --- questions ----------------------------------------------------------------------------------


def test_add_question_appends_it(api_as, marketer):
    survey = make_nps_survey(marketer, publish=False)
    response = api_as(marketer).post(
        f"/surveys/{survey.pk}/questions",
        {"kind": "single", "label": "Which plan?", "options": ["Free", "Team"], "required": True},
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("position", "kind", "label", "options", "required", "version")} == {
        "position": 5, "kind": "single", "label": "Which plan?", "options": ["Free", "Team"],
        "required": True, "version": 1,
    }  # fmt: skip
    assert _audit(Question.objects.get(pk=body["id"]), "create") == ["marketer"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "essay", "label": "X"}, "kind"),
        ({"kind": "text", "label": ""}, "label"),
        ({"kind": "single", "label": "Which?", "options": ["Only one"]}, "options"),
        ({"kind": "rating", "label": "Rate", "scale_max": 11}, "scale_max"),
        ({"kind": "nps", "label": "NPS", "logic": [{"op": "lte", "value": 5, "goto": "nope"}]},
         "logic"),
        ({"kind": "text", "label": "X", "key": "abc"}, "key"),
    ],
)  # fmt: skip
def test_add_question_with_bad_input_is_422(api_as, marketer, body, field):
    survey = make_nps_survey(marketer, publish=False)
    response = api_as(marketer).post(f"/surveys/{survey.pk}/questions", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Question.objects.count() == 4


def test_add_question_refused_for_reps_and_unknown_surveys(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer, publish=False)
    body = {"kind": "text", "label": "Anything else?"}
    assert api_as(rep_a).post(f"/surveys/{survey.pk}/questions", body).status_code == 403
    assert api_as(marketer).post("/surveys/999999/questions", body).status_code == 404
    assert Question.objects.count() == 4


def test_list_and_get_questions(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer)
    other = services.survey_create(actor=marketer, name="Other")
    api = api_as(rep_a)
    listed = api.get(f"/surveys/{survey.pk}/questions").json()
    assert [q["position"] for q in listed] == [1, 2, 3, 4]
    first = listed[0]
    assert api.get(f"/surveys/{survey.pk}/questions/{first['id']}").json() == first
    assert api.get(f"/surveys/{other.pk}/questions/{first['id']}").status_code == 404
    assert api.get("/surveys/999999/questions").status_code == 404


def test_editing_a_question_of_an_answered_survey_starts_a_new_version(api_as, marketer):
    survey = make_nps_survey(marketer)
    _answer(survey, 1, "9")
    question = survey.live_version.questions.get(position=2)
    response = api_as(marketer).patch(
        f"/surveys/{survey.pk}/questions/{question.pk}", {"label": "What do you love?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["key"], body["label"]) == (2, question.key, "What do you love?")
    assert body["id"] != question.pk
    question.refresh_from_db()
    assert question.label == "What do you like most?"  # what the response answered
    detail = api_as(marketer).get(f"/surveys/{survey.pk}").json()
    assert (detail["version"], detail["live_version"], detail["version_locked"]) == (2, 1, False)


def test_update_question_refusals_change_nothing(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer, publish=False)
    question = survey.versions.get().questions.get(position=4)
    url = f"/surveys/{survey.pk}/questions/{question.pk}"
    api = api_as(marketer)
    assert error_fields(api.patch(url, {"options": ["One"]})) == ["options"]
    assert error_fields(api.patch(url, {"label": None})) == ["label"]
    assert api_as(rep_a).patch(url, {"label": "Mine"}).status_code == 403
    assert api.patch(f"/surveys/{survey.pk}/questions/999999", {"label": "X"}).status_code == 404
    question.refresh_from_db()
    assert (question.label, question.options) == (
        "Which features do you use?",
        ["Reports", "Integrations", "Email"],
    )


def test_remove_and_move_questions(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer, publish=False)
    questions = list(survey.versions.get().questions.order_by("position"))
    base = f"/surveys/{survey.pk}/questions"
    api = api_as(marketer)
    assert api_as(rep_a).delete(f"{base}/{questions[3].pk}").status_code == 403
    assert (
        api_as(rep_a).post(f"{base}/{questions[3].pk}/move", {"direction": "up"}).status_code == 403
    )
    assert api.delete(f"{base}/999999").status_code == 404
    assert api.post(f"{base}/999999/move", {"direction": "up"}).status_code == 404
    bad = api.post(f"{base}/{questions[3].pk}/move", {"direction": "left"})
    assert (bad.status_code, error_fields(bad)) == (422, ["direction"])
    assert list(survey.versions.get().questions.values_list("pk", flat=True).order_by(
        "position")) == [q.pk for q in questions]  # fmt: skip

    moved = api.post(f"{base}/{questions[3].pk}/move", {"direction": "up"})
    assert moved.status_code == 200
    assert [q["id"] for q in moved.json()] == [questions[i].pk for i in (0, 1, 3, 2)]
    removed = api.delete(f"{base}/{questions[1].pk}")
    assert removed.status_code == 204
    assert [q["id"] for q in api.get(base).json()] == [questions[i].pk for i in (0, 3, 2)]
    assert _audit(questions[1], "delete") == ["marketer"]
    # A removed question is no longer reachable.
    assert api.get(f"{base}/{questions[1].pk}").status_code == 404


# --- distributions, invites ---------------------------------------------------------------------


def test_distribute_emails_invites_in_the_background(
    api_as, marketer, rep_a, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_contact(1)
    make_contact(2, consent=False)
    survey = make_nps_survey(marketer)
    segment = Segment.objects.create(name="Everyone", definition=EVERYONE)
    body = {"segment_id": segment.pk, "subject": "Quick question", "message": "Tell us."}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(marketer).post(f"/surveys/{survey.pk}/distributions", body)
    assert response.status_code == 201
    result = response.json()
    assert (result["invited"], result["already"], result["skipped"]) == (
        1,
        0,
        {"no consent to marketing email": 1},
    )
    assert result["distribution"]["segment_name"] == "Everyone"
    assert [m.to for m in mail.outbox] == [["ann1@example.com"]]
    listed = api_as(rep_a).get(f"/surveys/{survey.pk}/distributions").json()
    assert [d["id"] for d in listed["items"]] == [result["distribution"]["id"]]
    invites = api_as(rep_a).get(f"/surveys/{survey.pk}/invites", {"state": "sent"}).json()
    assert [i["contact"]["email"] for i in invites["items"]] == ["ann1@example.com"]
    assert "token" not in invites["items"][0]
    assert (
        api_as(rep_a).get(f"/surveys/{survey.pk}/invites", {"state": "answered"}).json()["total"]
        == 0
    )
    assert _audit(SurveyDistribution.objects.get(), "create") == ["marketer"]


def test_distribute_refusals_send_nothing(
    api_as, marketer, rep_a, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_contact(1)
    survey = make_nps_survey(marketer)
    draft = services.survey_create(actor=marketer, name="Draft")
    segment = Segment.objects.create(name="Everyone", definition=EVERYONE)
    body = {"segment_id": segment.pk, "subject": "Hi", "message": "Tell us."}
    api = api_as(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api.post(f"/surveys/{survey.pk}/distributions", {**body, "segment_id": 999999})
        blank = api.post(f"/surveys/{survey.pk}/distributions", {**body, "subject": " "})
        closed = api.post(f"/surveys/{draft.pk}/distributions", body)
        denied = api_as(rep_a).post(f"/surveys/{survey.pk}/distributions", body)
        missing = api.post("/surveys/999999/distributions", body)
    assert (unknown.status_code, error_fields(unknown)) == (422, ["segment_id"])
    assert (blank.status_code, error_fields(blank)) == (422, ["subject"])
    assert closed.status_code == 422
    assert closed.json()["detail"][0]["msg"] == "Publish the survey before sending it."
    assert (denied.status_code, missing.status_code) == (403, 404)
    assert SurveyInvite.objects.count() == 0
    assert mail.outbox == []
    assert api.get("/surveys/999999/distributions").status_code == 404
    assert api.get("/surveys/999999/invites").status_code == 404
    assert api.get(f"/surveys/{survey.pk}/invites", {"state": "lost"}).status_code == 422


# --- responses and results ----------------------------------------------------------------------


def test_responses_list_and_read(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer)
    _answer(survey, 1, "10")
    _answer(survey, 2, "3", why="Too slow")
    api = api_as(rep_a)
    listed = api.get(f"/surveys/{survey.pk}/responses", {"sort": "submitted_at"}).json()
    assert [(r["nps"], r["contact"]["email"]) for r in listed["items"]] == [
        (10, "ann1@example.com"),
        (3, "ann2@example.com"),
    ]
    detractor = listed["items"][1]
    read = api.get(f"/surveys/{survey.pk}/responses/{detractor['id']}").json()
    assert [(a["kind"], a["number"], a["text"]) for a in read["answers"]] == [
        ("nps", 3, ""),
        ("text", None, "Too slow"),
    ]
    assert (
        api.get(f"/surveys/{survey.pk}/responses", {"date_from": "2025-03-06"}).json()["total"] == 0
    )
    assert api.get(f"/surveys/{survey.pk}/responses", {"date_from": "March"}).status_code == 422
    assert api.get(f"/surveys/{survey.pk}/responses/999999").status_code == 404
    other = services.survey_create(actor=marketer, name="Other")
    assert api.get(f"/surveys/{other.pk}/responses/{detractor['id']}").status_code == 404
    assert api.get("/surveys/999999/responses").status_code == 404


def test_results(api_as, marketer, rep_a):
    survey = make_nps_survey(marketer)
    for n, score in enumerate(["10", "6", "8"]):
        _answer(survey, n, score)
    api = api_as(rep_a)
    results = api.get(f"/surveys/{survey.pk}/results", {"period": "month"}).json()
    assert results["nps"] == {
        "responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "score": 0.0,
    }  # fmt: skip
    assert [t["period"] for t in results["trend"]] == ["2025-03-01"]
    assert api.get(f"/surveys/{survey.pk}/results", {"period": "year"}).status_code == 422
    assert api.get(f"/surveys/{survey.pk}/results", {"stage": "boss"}).status_code == 422
    reversed_dates = {"date_from": "2025-03-09", "date_to": "2025-03-01"}
    assert api.get(f"/surveys/{survey.pk}/results", reversed_dates).status_code == 422
    assert api.get("/surveys/999999/results").status_code == 404


def test_reads_need_a_token(marketer):
    from .conftest import ApiClient

    survey = make_nps_survey(marketer)
    assert ApiClient(None).get(f"/surveys/{survey.pk}").status_code == 401
