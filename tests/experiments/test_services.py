"""Experiment services: validation that changes nothing, the draft -> running -> stopped life,
idempotent exposures, conversions only after an exposure, and nothing recorded when stopped."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from revline.analytics.journeys import workspace_journeys
from revline.campaigns.models import Campaign, Channel
from revline.email.models import Email, EmailStatus
from revline.experiments.models import (
    Experiment,
    ExperimentGoal,
    ExperimentKind,
    ExperimentStatus,
    Exposure,
    Variant,
)
from revline.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    conversion_record,
    experiment_create,
    experiment_start,
    experiment_stop,
    experiment_update,
    exposure_record,
)
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor
from revline.tracking.services import touchpoint_record

from .factories import cta_spec, make_page, running_cta

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_create_makes_a_draft_with_the_control_first(marketer):
    page = make_page()

    experiment = experiment_create(actor=marketer, spec=cta_spec(page, weights=[3, 1]))

    assert experiment.status == ExperimentStatus.DRAFT
    assert experiment.landing_page == page and experiment.email is None
    assert len(experiment.salt) == 16
    assert experiment.created_by == marketer
    variants = list(
        experiment.variants.values_list("key", "name", "weight", "is_control", "cta_label")
    )
    assert variants == [
        ("a", "Control", 3, True, "Get in touch"),
        ("b", "Variant B", 1, False, "Book a demo"),
    ]


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"goal": ExperimentGoal.EMAIL_OPEN}, "goal", "form submitted on the page"),
        ({"name": "  "}, "name", "Give the experiment a name."),
        ({"alpha": 0.5}, "alpha", "between 0.001 and 0.2"),
        ({"landing_page": None}, "landing_page", "Choose the landing page to test."),
    ],
)
def test_invalid_experiment_fields_are_named_and_nothing_is_written(marketer, change, key, message):
    page = make_page()

    with pytest.raises(ValidationError) as exc:
        experiment_create(actor=marketer, spec=cta_spec(page, **change))

    assert message in " ".join(_errors(exc)[key])
    assert Experiment.objects.count() == 0
    assert Variant.objects.count() == 0


def test_variant_problems_are_named_per_row(marketer):
    page = make_page()
    spec = cta_spec(page, labels=("Get in touch", "", "Get in touch"), weights=[1, 0, 1])

    with pytest.raises(ValidationError) as exc:
        experiment_create(actor=marketer, spec=spec)

    errors = _errors(exc)
    assert errors["variants.1.cta_label"] == ["Enter the button label this variant shows."]
    assert errors["variants.1.weight"] == ["The weight is a whole number from 1 to 1000."]
    assert "variants.2.cta_label" not in errors
    assert Experiment.objects.count() == 0


def test_variant_count_and_control_are_checked(marketer):
    page = make_page()
    one = cta_spec(page, labels=("Only",))
    two_controls = ExperimentSpec(
        name="Two controls",
        kind=ExperimentKind.CTA_LABEL,
        goal=ExperimentGoal.FORM_SUBMISSION,
        landing_page=page,
        variants=[
            VariantSpec(name="A", is_control=True, cta_label="A"),
            VariantSpec(name="B", is_control=True, cta_label="B"),
        ],
    )
    six = cta_spec(page, labels=tuple(f"L{i}" for i in range(6)))

    for spec, message in [
        (one, "An experiment has 2 to 5 variants: a control and at least one more."),
        (two_controls, "Exactly one variant must be the control."),
        (six, "An experiment has 2 to 5 variants: a control and at least one more."),
    ]:
        with pytest.raises(ValidationError) as exc:
            experiment_create(actor=marketer, spec=spec)
        assert message in _errors(exc)["variants"]
    assert Experiment.objects.count() == 0


def test_a_draft_page_cannot_be_tested(marketer):
    page = make_page(published=False)

    with pytest.raises(ValidationError) as exc:
        experiment_create(actor=marketer, spec=cta_spec(page))

    assert _errors(exc)["landing_page"] == ["The page is a draft: publish it before testing it."]


def test_a_page_test_needs_other_published_pages_as_variants(marketer):
    page, other, draft = (
        make_page("home"),
        make_page("home-b"),
        make_page("home-c", published=False),
    )
    spec = ExperimentSpec(
        name="Whole page",
        kind=ExperimentKind.LANDING_PAGE,
        goal=ExperimentGoal.FORM_SUBMISSION,
        landing_page=page,
        variants=[
            VariantSpec(name="Control", is_control=True),
            VariantSpec(name="Same", landing_page=page),
            VariantSpec(name="Draft", landing_page=draft),
            VariantSpec(name="None"),
        ],
    )

    with pytest.raises(ValidationError) as exc:
        experiment_create(actor=marketer, spec=spec)

    errors = _errors(exc)
    assert errors["variants.1.landing_page"] == [
        "The tested page itself is the control; choose another page."
    ]
    assert errors["variants.2.landing_page"] == ["That page is a draft: publish it first."]
    assert errors["variants.3.landing_page"] == ["Choose the page this variant shows."]

    # And with a proper variant page it is created; the control shows the tested page itself
    ok = ExperimentSpec(
        name="Whole page",
        kind=ExperimentKind.LANDING_PAGE,
        goal=ExperimentGoal.FORM_SUBMISSION,
        landing_page=page,
        variants=[
            VariantSpec(name="Control", is_control=True, landing_page=other),
            VariantSpec(name="New page", landing_page=other),
        ],
    )
    experiment = experiment_create(actor=marketer, spec=ok)
    assert list(experiment.variants.values_list("landing_page", flat=True)) == [None, other.pk]


def test_a_subject_test_needs_subjects_an_email_still_to_send_and_an_email_goal(marketer):
    sent = Email.objects.create(name="Old news", subject="Old", status=EmailStatus.SENT)
    spec = ExperimentSpec(
        name="Subject",
        kind=ExperimentKind.EMAIL_SUBJECT,
        goal=ExperimentGoal.FORM_SUBMISSION,
        email=sent,
        variants=[
            VariantSpec(name="Control", is_control=True, subject="Our news"),
            VariantSpec(name="Question", subject=""),
        ],
    )

    with pytest.raises(ValidationError) as exc:
        experiment_create(actor=marketer, spec=spec)

    errors = _errors(exc)
    assert errors["email"] == ["The email is sent: it sends nothing more."]
    assert errors["goal"] == [
        "A Email subject line test's goal is: email opened or link in the email clicked."
    ]
    assert errors["variants.1.subject"] == ["Enter the subject line this variant sends."]
    assert Experiment.objects.count() == 0


def test_only_marketers_and_admins_manage_experiments(rep_a, marketer):
    page = make_page()
    with pytest.raises(PermissionDenied):
        experiment_create(actor=rep_a, spec=cta_spec(page))
    assert Experiment.objects.count() == 0

    experiment = experiment_create(actor=marketer, spec=cta_spec(page))
    with pytest.raises(PermissionDenied):
        experiment_start(actor=rep_a, experiment=experiment)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT


def test_a_draft_is_edited_entirely(marketer):
    page = make_page()
    experiment = experiment_create(actor=marketer, spec=cta_spec(page))

    experiment_update(
        actor=marketer,
        experiment=experiment,
        spec=cta_spec(page, labels=("Get in touch", "Start free", "Talk to sales"), name="Three"),
    )

    assert experiment.name == "Three"
    assert list(experiment.variants.values_list("key", "cta_label")) == [
        ("a", "Get in touch"),
        ("b", "Start free"),
        ("c", "Talk to sales"),
    ]


def test_once_running_only_name_and_hypothesis_change(marketer):
    page = make_page()
    experiment = running_cta(marketer, page)
    variants_before = list(experiment.variants.values_list("pk", "cta_label"))

    with pytest.raises(ValidationError, match="Only the name and the hypothesis can change"):
        experiment_update(
            actor=marketer, experiment=experiment, spec=cta_spec(page, labels=("X", "Y"))
        )
    assert list(experiment.variants.values_list("pk", "cta_label")) == variants_before

    renamed = ExperimentSpec(
        name="Renamed",
        kind=experiment.kind,
        goal=experiment.goal,
        landing_page=page,
        alpha=experiment.alpha,
        hypothesis="New idea",
    )
    experiment_update(actor=marketer, experiment=experiment, spec=renamed)
    assert (experiment.name, experiment.hypothesis) == ("Renamed", "New idea")
    assert list(experiment.variants.values_list("pk", "cta_label")) == variants_before


def test_start_and_stop(marketer):
    page = make_page()
    experiment = experiment_create(actor=marketer, spec=cta_spec(page))
    start = timezone.now() - timedelta(days=3)

    experiment_start(actor=marketer, experiment=experiment, now=start)
    assert (experiment.status, experiment.started_at) == (ExperimentStatus.RUNNING, start)
    with pytest.raises(ValidationError, match="only a draft starts"):
        experiment_start(actor=marketer, experiment=experiment)

    experiment_stop(actor=marketer, experiment=experiment)
    assert experiment.status == ExperimentStatus.STOPPED
    assert experiment.stopped_at is not None
    with pytest.raises(ValidationError, match="only a running one stops"):
        experiment_stop(actor=marketer, experiment=experiment)
    assert experiment.started_at == start


def test_only_one_experiment_runs_on_a_page(marketer):
    page = make_page()
    running_cta(marketer, page, name="First")
    second = experiment_create(actor=marketer, spec=cta_spec(page, name="Second"))

    with pytest.raises(ValidationError, match="“First” is already running on this page"):
        experiment_start(actor=marketer, experiment=second)

    second.refresh_from_db()
    assert second.status == ExperimentStatus.DRAFT


def test_start_checks_again_that_the_page_is_published(marketer):
    page = make_page()
    experiment = experiment_create(actor=marketer, spec=cta_spec(page))
    page.is_published = False
    page.save()

    with pytest.raises(ValidationError, match="publish it before testing it"):
        experiment_start(actor=marketer, experiment=experiment)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT


def _visitor(days_ago: float = 0) -> Visitor:
    at = timezone.now() - timedelta(days=days_ago)
    return Visitor.objects.create(first_seen_at=at, last_seen_at=at)


def test_exposure_is_recorded_once_with_its_touchpoint_and_pre_period_touches(marketer):
    # Given a visitor with touches 5 and 20 days ago, one 40 days ago, and a running experiment
    page = make_page()
    experiment = running_cta(marketer, page)
    visitor = _visitor(40)
    now = timezone.now()
    for days in (5, 20, 40):
        touchpoint_record(
            kind=TouchpointKind.PAGE_VIEW, visitor=visitor, occurred_at=now - timedelta(days=days)
        )
    key = f"v:{visitor.pk}"

    # When the exposure is recorded twice
    first = exposure_record(
        experiment=experiment, subject_key=key, visitor=visitor, contact=None, now=now
    )
    second = exposure_record(
        experiment=experiment,
        subject_key=key,
        visitor=visitor,
        contact=None,
        now=now + timedelta(hours=1),
    )

    # Then there is one exposure, counted with the two touches of the last 30 days
    assert first is not None and second is not None and first.pk == second.pk
    assert Exposure.objects.count() == 1
    assert (first.exposed_at, first.pre_period_touches) == (now, 2)
    touch = Touchpoint.objects.get(kind=TouchpointKind.EXPERIMENT_EXPOSURE)
    assert touch.params == {
        "experiment": experiment.pk,
        "test": experiment.name,
        "variant": first.variant.key,
        "variant_name": first.variant.name,
    }
    assert (touch.visitor, touch.campaign, touch.channel) == (visitor, None, "")


def test_conversion_counts_only_after_an_exposure_and_only_once(marketer):
    page = make_page()
    experiment = running_cta(marketer, page)
    visitor = _visitor()
    key = f"v:{visitor.pk}"
    now = timezone.now()

    # A conversion without exposure records nothing
    assert conversion_record(experiment=experiment, subject_key=key, now=now) is False
    assert not Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_CONVERSION).exists()

    exposure = exposure_record(
        experiment=experiment, subject_key=key, visitor=visitor, contact=None, now=now
    )
    assert exposure is not None
    # A conversion stamped before the exposure is not one of its conversions
    assert (
        conversion_record(experiment=experiment, subject_key=key, now=now - timedelta(minutes=1))
        is False
    )
    # After it, it counts once
    later = now + timedelta(minutes=5)
    assert conversion_record(experiment=experiment, subject_key=key, now=later) is True
    assert (
        conversion_record(experiment=experiment, subject_key=key, now=later + timedelta(hours=1))
        is False
    )

    exposure.refresh_from_db()
    assert exposure.converted_at == later
    touch = Touchpoint.objects.get(kind=TouchpointKind.EXPERIMENT_CONVERSION)
    assert touch.params == {
        "experiment": experiment.pk,
        "test": experiment.name,
        "variant": exposure.variant.key,
        "variant_name": exposure.variant.name,
        "goal": "form_submission",
    }
    assert touch.occurred_at == later


def test_a_stopped_or_draft_experiment_records_nothing(marketer):
    page = make_page()
    draft = experiment_create(actor=marketer, spec=cta_spec(page, name="Draft"))
    stopped = running_cta(marketer, make_page("other"), name="Stopped")
    visitor = _visitor()
    key = f"v:{visitor.pk}"
    exposure_record(experiment=stopped, subject_key=key, visitor=visitor, contact=None)
    experiment_stop(actor=marketer, experiment=stopped)

    for experiment in (draft, stopped):
        assert (
            exposure_record(experiment=experiment, subject_key="v:new", visitor=None, contact=None)
            is None
        )
        assert conversion_record(experiment=experiment, subject_key=key) is False

    assert Exposure.objects.count() == 1
    assert Exposure.objects.get().converted_at is None
    assert Touchpoint.objects.filter(kind=TouchpointKind.EXPERIMENT_CONVERSION).count() == 0


def test_experiment_touchpoints_leave_attribution_journeys_unchanged(marketer, rep_a):
    # Given a contact with a campaign click before a won deal
    campaign = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    contact = contact_create(actor=None, email="ada@example.com", first_name="Ada")
    start = timezone.now() - timedelta(days=10)
    touchpoint_record(
        kind=TouchpointKind.CLICK, visitor=None, contact=contact, campaign=campaign,
        occurred_at=start,
    )  # fmt: skip
    deal = deal_create(
        actor=None, owner=rep_a, name="Ada deal", amount=1000, contact=contact,
        created_at=start,
    )  # fmt: skip
    before = {d: workspace_journeys(dimension=d).rows for d in ("channel", "campaign")}

    # When the contact is exposed to an experiment and converts, before the deal is won
    experiment = running_cta(marketer, make_page())
    exposure_record(
        experiment=experiment,
        subject_key=f"c:{contact.pk}",
        visitor=None,
        contact=contact,
        now=start + timedelta(days=1),
    )
    conversion_record(
        experiment=experiment, subject_key=f"c:{contact.pk}", now=start + timedelta(days=2)
    )
    deal_close_won(actor=None, deal=deal, note="Fit", at=start + timedelta(days=3))
    after = {d: workspace_journeys(dimension=d).rows for d in ("channel", "campaign")}

    # Then the journeys hold the campaign touch only
    assert Touchpoint.objects.filter(contact=contact).count() == 3
    assert [row.path for row in after["channel"]] == [("paid_search",)]
    assert [row.path for row in after["campaign"]] == [(str(campaign.pk),)]
    assert [row.path for row in before["channel"]] == [("paid_search",)]
