import pytest

from revline.people.models import Company, Contact
from revline.people.services import consent_record
from revline.surveys import services
from revline.surveys.models import Question, Survey
from revline.surveys.services import QuestionInput


def make_contact(n: int, *, consent: bool = True, email: str | None = None, **fields) -> Contact:
    fields = {"first_name": f"Ann{n}", "last_name": "Lee", **fields}
    contact = Contact.objects.create(
        email=f"ann{n}@example.com" if email is None else email, **fields
    )
    if consent:
        consent_record(contact=contact, purpose="marketing_email", granted=True, source="test")
    return contact


def add(survey: Survey, actor, kind: str, label: str, **extra) -> Question:
    return services.question_add(
        actor=actor, survey=survey, data=QuestionInput(kind=kind, label=label, **extra)
    )


def make_nps_survey(actor, *, publish: bool = True, **fields) -> Survey:
    """NPS (required; detractors skip the "like" question), why? (text), features (multiple)."""
    survey = services.survey_create(actor=actor, name="Customer NPS", slug="nps", **fields)
    score = add(survey, actor, "nps", "How likely are you to recommend us?", required=True)
    like = add(survey, actor, "text", "What do you like most?")
    why = add(survey, actor, "text", "Why?")
    add(survey, actor, "multiple", "Which features do you use?",
        options=["Reports", "Integrations", "Email"])  # fmt: skip
    services.question_update(
        actor=actor,
        question=score,
        data=QuestionInput(
            kind="nps", label=score.label, required=True,
            logic=[{"op": "lte", "value": "6", "goto": why.key}],
        ),
    )  # fmt: skip
    assert like.position == 2
    if publish:
        services.survey_publish(actor=actor, survey=survey)
    survey.refresh_from_db()
    return survey


def post_data(survey: Survey, **by_label_start) -> dict[str, list[str]]:
    """Form data by the start of each question's label: {"How": "9"} -> {"q_<key>": ["9"]}."""
    data: dict[str, list[str]] = {}
    assert survey.live_version is not None
    for q in survey.live_version.questions.all():
        for start, value in by_label_start.items():
            if q.label.startswith(start):
                data[f"q_{q.key}"] = value if isinstance(value, list) else [value]
    return data


@pytest.fixture
def company(db) -> Company:
    return Company.objects.create(name="Globex")
