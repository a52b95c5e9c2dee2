"""Builder and results pages: permissions, forms, publish/close, results numbers and filters,
and the CSV export."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from revline.people.models import Company, LifecycleStage
from revline.segments.models import Segment
from revline.surveys import services
from revline.surveys.models import Question, Survey, SurveyStatus
from tests.conftest import PASSWORD

from .conftest import make_contact, make_nps_survey, post_data


@pytest.fixture
def as_marketer(client, marketer):
    client.login(username="marketer", password=PASSWORD)
    return client


@pytest.fixture
def as_rep(client, rep_a):
    client.login(username="rep_a", password=PASSWORD)
    return client


def test_list_search_filter_and_empty_state(as_marketer, marketer):
    assert "No surveys yet." in as_marketer.get("/research/surveys/").content.decode()
    make_nps_survey(marketer)
    services.survey_create(actor=marketer, name="Support CSAT")
    html = as_marketer.get("/research/surveys/?q=csat").content.decode()
    assert "Support CSAT" in html and "Customer NPS" not in html
    html = as_marketer.get("/research/surveys/?status=open&sort=-responses").content.decode()
    assert "Customer NPS" in html and "Support CSAT" not in html
    assert "No surveys match." in as_marketer.get("/research/surveys/?q=zzz").content.decode()


def test_create_then_add_a_question_through_the_forms(as_marketer):
    response = as_marketer.post(
        "/research/surveys/new/", {"name": "After support", "thank_you": "Thanks!"}
    )
    survey = Survey.objects.get()
    assert response["Location"] == f"/research/surveys/{survey.pk}/"
    assert survey.slug == "after-support"
    bad = as_marketer.post(
        f"/research/surveys/{survey.pk}/questions/new/", {"kind": "single", "label": "Pick"}
    )
    assert bad.status_code == 400
    assert "Give at least two options, one per line." in bad.content.decode()
    as_marketer.post(
        f"/research/surveys/{survey.pk}/questions/new/",
        {"kind": "csat", "label": "How satisfied are you?", "required": "on"},
    )
    question = Question.objects.get()
    assert (question.kind, question.required, question.position) == ("csat", True, 1)
    as_marketer.post(f"/research/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN and survey.live_version_id == question.version_id


def test_logic_is_edited_through_the_question_form(as_marketer, marketer):
    survey = make_nps_survey(marketer, publish=False)
    score = Question.objects.get(position=1)
    why = Question.objects.get(label="Why?")
    page = as_marketer.get(f"/research/surveys/{survey.pk}/questions/{score.pk}/")
    assert 'value="lte" selected' in page.content.decode()
    as_marketer.post(
        f"/research/surveys/{survey.pk}/questions/{score.pk}/",
        {"kind": "nps", "label": "Score", "rule0_op": "gte", "rule0_value": "9", "rule0_goto": "end",
         "rule1_op": "lte", "rule1_value": "6", "rule1_goto": why.key},
    )  # fmt: skip
    score.refresh_from_db()
    assert score.logic == [
        {"op": "gte", "value": 9, "goto": "end"}, {"op": "lte", "value": 6, "goto": why.key},
    ]  # fmt: skip
    detail = as_marketer.get(f"/research/surveys/{survey.pk}/").content.decode()
    assert "If the answer is at least 9, end the survey" in detail


def test_reps_read_but_do_not_build(as_rep, marketer):
    survey = make_nps_survey(marketer)
    assert as_rep.get(f"/research/surveys/{survey.pk}/").status_code == 200
    assert as_rep.get(f"/research/surveys/{survey.pk}/results/").status_code == 200
    assert as_rep.post(f"/research/surveys/{survey.pk}/close/").status_code == 403
    assert as_rep.get("/research/surveys/new/").status_code == 403
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN


def test_state_changes_need_post(as_marketer, marketer):
    survey = make_nps_survey(marketer)
    assert as_marketer.get(f"/research/surveys/{survey.pk}/close/").status_code == 405
    q = Question.objects.first()
    assert (
        as_marketer.get(f"/research/surveys/{survey.pk}/questions/{q.pk}/remove/").status_code
        == 405
    )
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.OPEN


def test_distribute_form_reports_who_was_invited(
    as_marketer, marketer, mailoutbox, django_capture_on_commit_callbacks
):
    survey = make_nps_survey(marketer)
    make_contact(1)
    make_contact(2, consent=False)
    segment = Segment.objects.create(name="All", definition={"match": "all", "conditions": []})
    with django_capture_on_commit_callbacks(execute=True):
        response = as_marketer.post(
            f"/research/surveys/{survey.pk}/distribute/",
            {"segment": segment.pk, "subject": "Hi", "message": "Two minutes?"},
            follow=True,
        )
    html = response.content.decode()
    assert "Sending the survey to 1 contacts. Not sent: 1 no consent to marketing email." in html
    assert [m.to for m in mailoutbox] == [["ann1@example.com"]]
    bad = as_marketer.post(f"/research/surveys/{survey.pk}/distribute/", {"segment": "999"})
    assert bad.status_code == 400
    assert len(mailoutbox) == 1


def answer(survey, contact, score, *, at, why=""):
    invite = services.invite_for(survey=survey, contact=contact)
    data = post_data(survey, How=str(score), Why=why) if why else post_data(survey, How=str(score))
    return services.response_submit(
        survey=survey, version=survey.live_version, get_list=lambda n: data.get(n, []),
        invite=invite, now=at,
    )  # fmt: skip


@pytest.fixture
def answered(db, marketer):
    """Six answers: week 1 (Jan 6, 2025): 10, 9, 3 -> NPS 33; week 2 (Jan 13): 8, 2, 0 -> -67."""
    survey = make_nps_survey(marketer)
    globex = Company.objects.create(name="Globex")
    tz = timezone.get_current_timezone()
    week1 = datetime(2025, 1, 7, 10, tzinfo=tz)
    week2 = week1 + timedelta(days=7)
    stages = [LifecycleStage.CUSTOMER] * 3 + [LifecycleStage.LEAD] * 3
    for n, (score, at) in enumerate(
        [(10, week1), (9, week1), (3, week1), (8, week2), (2, week2), (0, week2)]
    ):
        contact = make_contact(n, company=globex if n % 2 == 0 else None, lifecycle_stage=stages[n])
        answer(survey, contact, score, at=at, why="Too <b>pricey</b>" if score == 3 else "")
    return survey, globex


def stat(html: str, name: str) -> str:
    start = html.index(f'data-stat="{name}"')
    value = html.index('class="value">', start) + len('class="value">')
    return html[value : html.index("</div>", value)]


def test_results_show_nps_groups_trend_and_escaped_free_text(as_marketer, answered):
    survey, _ = answered
    html = as_marketer.get(f"/research/surveys/{survey.pk}/results/").content.decode()
    # 2 promoters, 1 passive, 3 detractors of 6: (2 - 3) / 6 = -16.7
    assert stat(html, "responses") == "6"
    assert stat(html, "nps") == "-17"
    assert stat(html, "nps-groups") == "2 · 1 · 3"
    trend = html[html.index('id="nps-trend"') :]
    assert (
        'Jan 6, 2025</td><td class="num">3</td><td class="num">2 · 0 · 1</td><td class="num">33'
        in trend
    )
    assert (
        'Jan 13, 2025</td><td class="num">3</td><td class="num">0 · 1 · 2</td><td class="num">-67'
        in trend
    )
    assert "Too &lt;b&gt;pricey&lt;/b&gt;" in html and "<b>pricey</b>" not in html
    assert '"labels": ["2025-01-06", "2025-01-13"]' in html


def test_results_filters_by_company_stage_date_and_segment(as_marketer, marketer, answered):
    survey, globex = answered
    base = f"/research/surveys/{survey.pk}/results/"
    # Globex: contacts 0, 2, 4 -> 10, 3, 2: (1 - 2) / 3
    assert stat(as_marketer.get(f"{base}?company={globex.pk}").content.decode(), "nps") == "-33"
    # Customers: 10, 9, 3 -> 33
    assert stat(as_marketer.get(f"{base}?stage=customer").content.decode(), "nps") == "33"
    # Week 2 only: 8, 2, 0 -> -67
    html = as_marketer.get(f"{base}?date_from=2025-01-10&date_to=2025-01-31").content.decode()
    assert stat(html, "responses") == "3" and stat(html, "nps") == "-67"
    segment = Segment.objects.create(
        name="Leads",
        definition={"match": "all", "conditions": [
            {"type": "field", "field": "lifecycle_stage", "op": "eq", "value": "lead"}]},
    )  # fmt: skip
    assert stat(as_marketer.get(f"{base}?segment={segment.pk}").content.decode(), "nps") == "-67"
    bad = as_marketer.get(f"{base}?date_from=2025-02-01&date_to=2025-01-01").content.decode()
    assert "The end date is before the start date." in bad
    assert stat(bad, "responses") == "6"


def test_export_is_one_row_per_response_and_formula_safe(as_marketer, marketer, answered):
    survey, _ = answered
    contact = make_contact(99, first_name="=HYPERLINK(1)")
    answer(survey, contact, 7, at=timezone.now(), why="@SUM(A1)")
    response = as_marketer.get(f"/research/surveys/{survey.pk}/results.csv?stage=subscriber")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:12] == [
        "response_id", "submitted_at", "version", "anonymous", "contact_id", "email",
        "first_name", "last_name", "company", "lifecycle_stage", "nps", "csat",
    ]  # fmt: skip
    assert rows[0][12:] == [
        "How likely are you to recommend us?", "What do you like most?", "Why?",
        "Which features do you use?",
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][6] == "'=HYPERLINK(1)"
    assert rows[1][10] == "7" and rows[1][12] == "7" and rows[1][14] == "'@SUM(A1)"
    assert response["Content-Disposition"] == 'attachment; filename="survey-nps-responses.csv"'
