"""Surveys: building versioned questions, publishing, storing responses, timeline and feedback."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.feedback.models import FeedbackItem
from revline.surveys import services
from revline.surveys.models import Answer, Question, Response, SurveyStatus
from revline.surveys.services import AlreadyAnswered, QuestionInput
from revline.tracking.models import Touchpoint, TouchpointKind

from .conftest import add, make_contact, make_nps_survey, post_data


def submit(survey, data, **kw):
    return services.response_submit(
        survey=survey, version=survey.live_version, get_list=lambda n: data.get(n, []), **kw
    )


def test_only_marketers_build_surveys(db, rep_a):
    with pytest.raises(PermissionDenied):
        services.survey_create(actor=rep_a, name="NPS")


def test_create_makes_a_unique_slug_and_refuses_a_taken_one(db, marketer):
    first = services.survey_create(actor=marketer, name="Customer NPS")
    second = services.survey_create(actor=marketer, name="Customer NPS")
    assert (first.slug, second.slug) == ("customer-nps", "customer-nps-2")
    with pytest.raises(ValidationError) as err:
        services.survey_create(actor=marketer, name="Other", slug="customer-nps")
    assert err.value.message_dict == {"slug": ["Another survey uses this address."]}
    with pytest.raises(ValidationError):
        services.survey_create(actor=marketer, name="Other", slug="Not a slug!")


def test_question_validation(db, marketer):
    survey = services.survey_create(actor=marketer, name="S")
    with pytest.raises(ValidationError) as err:
        add(survey, marketer, "single", "Pick", options=["Only one"])
    assert err.value.message_dict == {"options": ["Give at least two options, one per line."]}
    with pytest.raises(ValidationError):
        add(survey, marketer, "rating", "Rate", scale_max=11)
    with pytest.raises(ValidationError):
        add(survey, marketer, "bogus", "What")
    assert Question.objects.count() == 0


def test_logic_only_points_forward_and_fits_the_question(db, marketer):
    survey = services.survey_create(actor=marketer, name="S")
    first = add(survey, marketer, "nps", "Score")
    second = add(survey, marketer, "single", "Pick", options=["A", "B"])
    bad = [
        (second, {"op": "eq", "value": "A", "goto": first.key}, "skip forward"),
        (first, {"op": "lte", "value": "11", "goto": second.key}, "from 0 to 10"),
        (first, {"op": "includes", "value": "3", "goto": second.key}, "Compare a number"),
        (second, {"op": "eq", "value": "C", "goto": "end"}, "options"),
    ]
    for question, rule, message in bad:
        with pytest.raises(ValidationError, match=message):
            services.question_update(
                actor=marketer, question=question,
                data=QuestionInput(kind=question.kind, label=question.label, options=["A", "B"],
                                   logic=[rule]),
            )  # fmt: skip
    first.refresh_from_db()
    assert first.logic == []
    services.question_update(
        actor=marketer, question=first,
        data=QuestionInput(kind="nps", label="Score", logic=[{"op": "gte", "value": "9", "goto": "end"}]),
    )  # fmt: skip
    first.refresh_from_db()
    assert first.logic == [{"op": "gte", "value": 9, "goto": "end"}]


def test_move_and_remove_renumber_and_drop_rules_that_would_point_backwards(db, marketer):
    survey = make_nps_survey(marketer, publish=False)
    version = services.latest_version(survey)
    score, like, why, _features = version.questions.order_by("position")
    services.question_move(actor=marketer, question=why, offset=-1)
    services.question_move(actor=marketer, question=why, offset=-1)  # why is now first
    labels = list(version.questions.order_by("position").values_list("label", "position"))
    assert [label for label, _ in labels][:2] == ["Why?", "How likely are you to recommend us?"]
    score.refresh_from_db()
    assert score.logic == []  # "why" is no longer after it
    services.question_remove(actor=marketer, question=like)
    assert list(version.questions.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]


def test_publish_needs_a_question_and_close_stops_answers(db, marketer):
    survey = services.survey_create(actor=marketer, name="Empty")
    with pytest.raises(ValidationError, match="at least one question"):
        services.survey_publish(actor=marketer, survey=survey)
    assert survey.status == SurveyStatus.DRAFT
    survey = make_nps_survey(marketer)
    services.survey_close(actor=marketer, survey=survey)
    with pytest.raises(ValidationError, match="not open"):
        submit(survey, post_data(survey, How="9"), invite=None)
    assert Response.objects.count() == 0


def test_a_response_stores_typed_answers_touchpoint_and_marks_the_invite(db, marketer, company):
    # Given an invited contact of a company
    survey = make_nps_survey(marketer)
    contact = make_contact(1, company=company)
    invite = services.invite_for(survey=survey, contact=contact)

    # When they answer 9, say why, and pick two features
    now = timezone.now()
    response = submit(
        survey,
        post_data(survey, How="9", What="Great <b>support</b>", Which=["Email", "Reports"]),
        invite=invite, ip_address="203.0.113.9", now=now,
    )  # fmt: skip

    # Then the response, its answers (one row per chosen option), the invite and the timeline
    assert (response.contact, response.nps, response.csat, response.is_anonymous) == (
        contact, 9, None, False,
    )  # fmt: skip
    rows = sorted(
        (a.question.label[:5], a.number, a.choice, a.text) for a in response.answers.all()
    )
    assert rows == [
        ("How l", 9, "", ""),
        ("What ", None, "", "Great <b>support</b>"),
        ("Which", None, "Email", ""),
        ("Which", None, "Reports", ""),
    ]
    invite.refresh_from_db()
    assert invite.responded_at == now
    touchpoint = Touchpoint.objects.get(contact=contact)
    assert touchpoint.kind == TouchpointKind.SURVEY_RESPONSE
    assert touchpoint.params == {
        "survey_id": survey.pk, "survey": "Customer NPS", "response_id": response.pk, "nps": 9,
    }  # fmt: skip


def test_skip_logic_drops_answers_to_questions_the_respondent_never_saw(db, marketer):
    survey = make_nps_survey(marketer, allow_anonymous=True)
    # A detractor skips "What do you like"; a posted answer to it is not kept
    response = submit(survey, post_data(survey, How="3", What="ignored", Why="Too slow"))
    assert sorted(response.answers.values_list("text", flat=True)) == ["", "Too slow"]
    assert response.is_anonymous and response.contact is None
    assert Touchpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"How": "Please answer this question."}),
        ({"How": "11"}, {"How": "Choose a number from 0 to 10."}),
        ({"How": "nine"}, {"How": "Choose a number from 0 to 10."}),
        ({"How": ["9", "10"]}, {"How": "Choose one number."}),
        ({"How": "9", "Which": ["Email", "Hacking"]}, {"Which": "Choose from the options shown."}),
        ({"How": "9", "What": "x" * 5001}, {"What": "Please keep this under 5,000 characters."}),
    ],
)
def test_invalid_answers_are_refused_and_store_nothing(db, marketer, data, errors):
    survey = make_nps_survey(marketer, allow_anonymous=True)
    keys = {q.label.split()[0]: q.key for q in survey.live_version.questions.all()}
    with pytest.raises(ValidationError) as err:
        submit(survey, post_data(survey, **data))
    assert err.value.message_dict == {keys[k]: [v] for k, v in errors.items()}
    assert (Response.objects.count(), Answer.objects.count(), Touchpoint.objects.count()) == (
        0,
        0,
        0,
    )


def test_one_response_per_invite_unless_repeats_are_allowed(db, marketer):
    survey = make_nps_survey(marketer)
    invite = services.invite_for(survey=survey, contact=make_contact(1))
    submit(survey, post_data(survey, How="9"), invite=invite)
    with pytest.raises(AlreadyAnswered):
        submit(survey, post_data(survey, How="2"), invite=invite)
    assert list(Response.objects.values_list("nps", flat=True)) == [9]

    services.survey_update(actor=marketer, survey=survey, allow_repeat=True)
    submit(survey, post_data(survey, How="2"), invite=invite)
    assert sorted(Response.objects.values_list("nps", flat=True)) == [2, 9]


def test_anonymous_answers_are_refused_unless_the_survey_allows_them(db, marketer):
    survey = make_nps_survey(marketer)
    with pytest.raises(ValidationError, match="personal link"):
        submit(survey, post_data(survey, How="9"))
    assert Response.objects.count() == 0


def test_editing_after_responses_creates_a_new_version_and_old_answers_stay_readable(db, marketer):
    # Given a response to version 1
    survey = make_nps_survey(marketer, allow_anonymous=True)
    v1 = survey.live_version
    old = submit(survey, post_data(survey, How="9", Which=["Reports"]))
    score_v1 = v1.questions.get(position=1)
    features_v1 = v1.questions.get(position=4)

    # When the marketer rewords the NPS question, removes the features question and publishes
    services.question_update(
        actor=marketer, question=score_v1,
        data=QuestionInput(kind="nps", label="Would you recommend us?", required=True),
    )  # fmt: skip
    services.question_remove(actor=marketer, question=features_v1)
    survey.refresh_from_db()
    assert survey.live_version == v1  # not live until published
    services.survey_publish(actor=marketer, survey=survey)
    survey.refresh_from_db()

    # Then version 2 is live, version 1 and its answer are untouched
    v2 = survey.live_version
    assert (v1.number, v2.number) == (1, 2)
    score_v1.refresh_from_db()
    assert score_v1.label == "How likely are you to recommend us?"
    assert v1.questions.count() == 4 and v2.questions.count() == 3
    assert sorted(old.answers.values_list("question__label", flat=True)) == [
        "How likely are you to recommend us?", "Which features do you use?",
    ]  # fmt: skip
    # The same question keeps its key, so results add both versions up
    assert v2.questions.get(position=1).key == score_v1.key
    new = submit(survey, post_data(survey, Would="10"))
    assert new.version == v2


def test_free_text_answers_go_to_the_feedback_inbox_when_it_exists(db, marketer):
    survey = make_nps_survey(marketer)
    contact = make_contact(1)
    invite = services.invite_for(survey=survey, contact=contact)
    response = submit(survey, post_data(survey, How="4", Why="Too expensive"), invite=invite)
    item = FeedbackItem.objects.get(source="survey")
    answer = response.answers.get(text="Too expensive")
    assert (item.source_id, item.text, item.contact_id, item.score, item.url) == (
        answer.pk, "Too expensive", contact.pk, 4, f"/research/surveys/{survey.pk}/results/",
    )  # fmt: skip
    # An anonymous answer with no free text hands nothing over
    assert FeedbackItem.objects.count() == 1
