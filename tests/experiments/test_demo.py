"""The demo's experiments: a finished button-label test with a clear winner and a running
subject-line test, both with results the page can show."""

import random
from datetime import UTC, datetime

import pytest

from revline.core.demo.experiments import build_experiments
from revline.email.models import Send
from revline.experiments.models import Experiment, ExperimentKind, ExperimentStatus, Exposure
from revline.experiments.selectors import experiment_results
from revline.people.models import Contact
from revline.tracking.models import Touchpoint, TouchpointKind

from .factories import make_page

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_demo_experiments(marketer):
    # Given a published landing page and the full demo's 2,000 contacts with an address
    make_page("pricing")
    Contact.objects.bulk_create(
        Contact(email=f"p{n}@example.com", first_name=f"P{n}") for n in range(2000)
    )

    counts = build_experiments(rng=random.Random(5), now=NOW)

    cta = Experiment.objects.get(kind=ExperimentKind.CTA_LABEL)
    email_test = Experiment.objects.get(kind=ExperimentKind.EMAIL_SUBJECT)
    exposures = Exposure.objects.count()
    assert counts == {
        "experiments": 2,
        "experiment exposures": exposures,
        "experiment touchpoints": Touchpoint.objects.filter(
            kind__in=[TouchpointKind.EXPERIMENT_EXPOSURE, TouchpointKind.EXPERIMENT_CONVERSION]
        ).count(),
    }
    assert cta.created_by == marketer

    # The finished test: thousands of visitors, the new label clearly ahead, an even split
    assert cta.status == ExperimentStatus.STOPPED
    results = experiment_results(experiment=cta)
    assert results.users > 2000
    (comparison,) = results.comparisons
    assert comparison.welch.significant is True and comparison.welch.effect > 0
    assert comparison.bayesian.chance_to_win > 0.99
    assert results.srm is not None and results.srm.mismatch is False
    cuped = experiment_results(experiment=cta, cuped=True)
    assert cuped.variance_reduction is not None and cuped.variance_reduction > 0

    # The running test: one exposure and one send per contact, opens as conversions
    assert email_test.status == ExperimentStatus.RUNNING
    assert email_test.exposures.count() == 1800
    assert Send.objects.filter(email=email_test.email).count() == 1800
    opened = Send.objects.filter(email=email_test.email, first_opened_at__isnull=False).count()
    assert email_test.exposures.filter(converted_at__isnull=False).count() == opened

    # The touchpoints carry the params the services give them
    exposure = email_test.exposures.filter(converted_at__isnull=False).order_by("pk").first()
    assert exposure is not None
    touch = Touchpoint.objects.get(
        kind=TouchpointKind.EXPERIMENT_CONVERSION, contact_id=exposure.contact_id
    )
    assert touch.params == {
        "experiment": email_test.pk,
        "test": "Subject line: statement vs question",
        "variant": exposure.variant.key,
        "variant_name": exposure.variant.name,
        "goal": "email_open",
    }
