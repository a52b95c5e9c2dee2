"""The demo surveys: an NPS survey with ~150 answers over six months and a rising score, free
texts in four themes, and a CSAT survey with 60 answers."""

import random
from datetime import UTC, datetime

from revline.core.demo.surveys import CSAT_RESPONSES, NPS_RESPONSES, TEXTS, build_surveys
from revline.people.models import Company, ConsentRecord, Contact
from revline.surveys.models import Response, Survey, SurveyInvite
from revline.surveys.selectors import ResultFilters, survey_results
from revline.tracking.models import Touchpoint, TouchpointKind

NOW = datetime(2025, 6, 30, 12, tzinfo=UTC)


def make_customers(numbers: range, *, consent: bool = True) -> None:
    company = Company.objects.create(name="Initech")
    contacts = Contact.objects.bulk_create(
        Contact(first_name=f"C{n}", email=f"c{n}@example.com", company=company,
                lifecycle_stage="customer")
        for n in numbers
    )  # fmt: skip
    if consent:
        ConsentRecord.objects.bulk_create(
            ConsentRecord(contact=c, purpose="marketing_email", status="granted",
                          recorded_at=NOW, source="test")
            for c in contacts
        )  # fmt: skip


def test_demo_surveys_have_responses_a_rising_nps_and_themed_texts(db, marketer):
    # Given 200 consenting customers and 20 without consent
    make_customers(range(200))
    make_customers(range(200, 220), consent=False)

    counts = build_surveys(rng=random.Random(7), now=NOW)

    assert counts == {"surveys": 2, "survey invites": 187 + 60, "survey responses": 150 + 60}
    nps = Survey.objects.get(slug="customer-nps")
    csat = Survey.objects.get(slug="support-csat")
    assert Response.objects.filter(survey=nps).count() == NPS_RESPONSES
    assert Response.objects.filter(survey=csat).count() == CSAT_RESPONSES
    # Nobody without consent was invited
    assert not SurveyInvite.objects.filter(
        contact__email__in=[f"c{n}@example.com" for n in range(200, 220)]
    ).exists()
    assert SurveyInvite.objects.filter(survey=nps, sent_at__isnull=False).count() == 187
    # The trend rises: the last two months score higher than the first two
    trend = survey_results(survey=nps, filters=ResultFilters(), period="month").trend
    assert len(trend) >= 6
    first, last = trend[:2], trend[-2:]

    def score(points):
        p = sum(t.nps.promoters for t in points)
        d = sum(t.nps.detractors for t in points)
        return 100 * (p - d) / sum(t.nps.responses for t in points)

    assert score(last) - score(first) > 20
    texts = set(
        Response.objects.filter(survey=nps, answers__text__gt="").values_list(
            "answers__text", flat=True
        )
    )
    known = {t for theme in TEXTS.values() for t in theme}
    assert texts and texts <= known
    assert Touchpoint.objects.filter(kind=TouchpointKind.SURVEY_RESPONSE).count() == 210
    # Running it again adds nothing
    assert build_surveys(rng=random.Random(8), now=NOW)["surveys"] == 0
