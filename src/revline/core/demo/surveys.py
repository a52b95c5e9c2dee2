"""Demo surveys: a customer NPS survey sent by email to customers, with about 150 answers over
six months (the score climbs from slightly negative to clearly positive), and a CSAT survey
after support tickets with about 60 answers.

Free-text answers fall into four themes the feedback inbox should find: price and cost,
onboarding and support, reporting, and integrations. Detractors mostly talk about price and
onboarding, promoters about reports and integrations.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import Q

from revline.core.models import Role, User
from revline.people.models import Contact, LifecycleStage
from revline.segments.models import Segment
from revline.segments.services import segment_create
from revline.surveys import services
from revline.surveys.models import Survey, SurveyDistribution, SurveyInvite
from revline.surveys.services import QuestionInput

NPS_RESPONSES = 150
CSAT_RESPONSES = 60
MONTHS = 6
FEATURES = ["Reports and dashboards", "Email campaigns", "Pipeline board", "Integrations"]

TEXTS = {
    "price": [
        "The price per seat is too expensive for a team our size.",
        "Pricing went up again; the cost is hard to justify to finance.",
        "Good product but the licence cost is high compared to alternatives.",
        "We would add more seats if the price were lower.",
    ],
    "support": [
        "Onboarding took weeks and the support team was slow to answer.",
        "Setup and onboarding were confusing; we needed more training.",
        "Support answered within an hour and onboarding was smooth.",
        "The onboarding training helped our new admins a lot.",
    ],
    "reporting": [
        "The reports and dashboards save me hours every week.",
        "Reporting is great, the pipeline dashboard is what our managers open first.",
        "I wish the reports could be scheduled and exported to PDF.",
        "Custom reports are powerful; the dashboard filters are excellent.",
    ],
    "integrations": [
        "The Slack and calendar integrations work really well.",
        "We need an integration with our accounting software.",
        "The integrations with our website forms made setup easy.",
        "Missing a native integration with our data warehouse.",
    ],
}
THEMES_BY_GROUP = {
    "detractor": ["price", "price", "support", "integrations"],
    "passive": ["price", "support", "reporting", "integrations"],
    "promoter": ["reporting", "reporting", "integrations", "support"],
}
CSAT_TEXTS = {
    "low": [
        "It took three days to get an answer from support.",
        "The support agent did not understand our onboarding problem.",
    ],
    "high": [
        "Quick and friendly support, problem solved in one call.",
        "Support explained the reports feature clearly, thank you.",
        "Great help with setting up the integration.",
    ],
}


def _actor() -> User | None:
    return (
        User.objects.filter(role=Role.MARKETER, is_active=True).order_by("pk").first()
        or User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True)).order_by("pk").first()
    )


def _nps_score(rng: random.Random, progress: float) -> int:
    """A 0-10 answer; `progress` from 0 (six months ago) to 1 (now) makes promoters likelier."""
    promoter = 0.30 + 0.35 * progress
    detractor = 0.38 - 0.26 * progress
    roll = rng.random()
    if roll < promoter:
        return rng.choice([9, 10, 10])
    if roll < promoter + detractor:
        return rng.choice([2, 4, 5, 6, 6])
    return rng.choice([7, 8, 8])


def _group(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _customers(count: int) -> list[Contact]:
    """Customers first, then other contacts of companies: only those who may be emailed."""
    with_email = (
        services.eligible_annotate(Contact.objects.exclude(email=""))
        .filter(consent_status="granted", suppressed=False)
        .select_related("company")
    )
    customers = list(
        with_email.filter(
            lifecycle_stage__in=[LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST]
        ).order_by("pk")
    )
    if len(customers) < count:
        seen = {c.pk for c in customers}
        others = with_email.filter(company__isnull=False).exclude(pk__in=seen).order_by("pk")
        customers += list(others[: count - len(customers)])
    return customers[:count]


def _submit(survey: Survey, contact: Contact, answers: dict[str, list[str]], at: datetime) -> None:
    invite = services.invite_for(survey=survey, contact=contact, now=at - timedelta(days=2))
    assert survey.live_version is not None
    services.response_submit(
        survey=survey,
        version=survey.live_version,
        get_list=lambda name: answers.get(name, []),
        invite=invite,
        ip_address=None,
        now=at,
    )


def _field(survey: Survey, position: int) -> str:
    assert survey.live_version is not None
    return f"q_{survey.live_version.questions.get(position=position).key}"


def _nps_survey(actor: User, rng: random.Random, now: datetime) -> tuple[int, int]:
    survey = services.survey_create(
        actor=actor,
        name="Customer NPS",
        slug="customer-nps",
        intro="Two minutes to tell us how we are doing. Every answer is read by our team.",
        thank_you="Thank you! Your answers help us decide what to build next.",
    )
    add = services.question_add
    add(actor=actor, survey=survey, data=QuestionInput(
        kind="nps", label="How likely are you to recommend us to a friend or colleague?",
        required=True))  # fmt: skip
    add(actor=actor, survey=survey, data=QuestionInput(
        kind="text", label="What is the main reason for your score?"))  # fmt: skip
    add(actor=actor, survey=survey, data=QuestionInput(
        kind="multiple", label="Which parts do you use most?", options=FEATURES))  # fmt: skip
    services.survey_publish(actor=actor, survey=survey, now=now - timedelta(days=MONTHS * 30 + 5))
    survey.refresh_from_db()
    contacts = _customers(NPS_RESPONSES + NPS_RESPONSES // 4)
    segment = Segment.objects.filter(name="Customers").first() or segment_create(
        actor=None,
        name="Customers",
        definition={"match": "all", "conditions": [
            {"type": "field", "field": "lifecycle_stage", "op": "eq", "value": "customer"}]},
    )  # fmt: skip
    sent_at = now - timedelta(days=MONTHS * 30)
    distribution = SurveyDistribution.objects.create(
        survey=survey,
        segment=segment,
        segment_name=segment.name,
        subject="A quick question from us",
        message=services.DEFAULT_MESSAGE,
        invited=len(contacts),
        created_by=actor,
        created_at=sent_at,
    )
    score_field, why_field, used_field = (_field(survey, n) for n in (1, 2, 3))
    answered = 0
    for index, contact in enumerate(contacts):
        invite = services.invite_for(survey=survey, contact=contact, now=sent_at)
        SurveyInvite.objects.filter(pk=invite.pk).update(distribution=distribution, sent_at=sent_at)
        if index >= NPS_RESPONSES:
            continue  # invited, never answered
        age_days = rng.uniform(1, MONTHS * 30 - 2)
        progress = 1 - age_days / (MONTHS * 30)
        score = _nps_score(rng, progress)
        answers = {score_field: [str(score)], used_field: rng.sample(FEATURES, rng.randint(1, 3))}
        if rng.random() < 0.8:
            theme = rng.choice(THEMES_BY_GROUP[_group(score)])
            answers[why_field] = [rng.choice(TEXTS[theme])]
        _submit(survey, contact, answers, now - timedelta(days=age_days))
        answered += 1
    return answered, len(contacts)


def _csat_survey(actor: User, rng: random.Random, now: datetime) -> int:
    survey = services.survey_create(
        actor=actor,
        name="Support satisfaction",
        slug="support-csat",
        intro="You recently talked to our support team.",
        thank_you="Thanks for letting us know.",
    )
    services.question_add(actor=actor, survey=survey, data=QuestionInput(
        kind="csat", label="How satisfied are you with the help you got?", required=True,
    ))  # fmt: skip
    services.question_add(actor=actor, survey=survey, data=QuestionInput(
        kind="text", label="Anything we could have done better?"))  # fmt: skip
    services.survey_publish(actor=actor, survey=survey, now=now - timedelta(days=95))
    survey.refresh_from_db()
    score_field, text_field = _field(survey, 1), _field(survey, 2)
    contacts = _customers(NPS_RESPONSES + NPS_RESPONSES // 4)
    rng.shuffle(contacts)
    answered = 0
    for contact in contacts[:CSAT_RESPONSES]:
        score = rng.choices([1, 2, 3, 4, 5], weights=[4, 6, 10, 35, 45])[0]
        answers = {score_field: [str(score)]}
        if rng.random() < 0.5:
            answers[text_field] = [rng.choice(CSAT_TEXTS["low" if score <= 3 else "high"])]
        _submit(survey, contact, answers, now - timedelta(days=rng.uniform(1, 90)))
        answered += 1
    return answered


def build_surveys(*, rng: random.Random, now: datetime) -> dict[str, int]:
    """Create the two demo surveys with their responses (nothing when they exist already)."""
    actor = _actor()
    if actor is None or Survey.objects.filter(slug__in=["customer-nps", "support-csat"]).exists():
        return {"surveys": 0, "survey invites": 0, "survey responses": 0}
    nps_answered, invited = _nps_survey(actor, rng, now)
    csat_answered = _csat_survey(actor, rng, now)
    return {
        "surveys": 2,
        "survey invites": invited + csat_answered,
        "survey responses": nps_answered + csat_answered,
    }
