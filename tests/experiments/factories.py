"""Pages, emails and experiments for the experiment tests, made through the services."""

import uuid
from collections.abc import Sequence

from django.utils import timezone

from revline.content.models import LandingPage
from revline.core.models import User
from revline.experiments.assignment import Arm, assign, visitor_key
from revline.experiments.models import Experiment, ExperimentGoal, ExperimentKind
from revline.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_create,
    experiment_start,
)
from revline.tracking.models import Visitor


def make_page(slug: str = "demo", *, published: bool = True, **extra: object) -> LandingPage:
    fields: dict[str, object] = {
        "title": slug.title(),
        "headline": f"{slug.title()} headline",
        "cta_label": "Get in touch",
        **extra,
    }
    return LandingPage.objects.create(slug=slug, is_published=published, **fields)


def cta_spec(
    page: LandingPage,
    labels: Sequence[str] = ("Get in touch", "Book a demo"),
    weights: Sequence[int] | None = None,
    **extra: object,
) -> ExperimentSpec:
    weights = weights or [1] * len(labels)
    fields: dict[str, object] = {
        "name": "Button label",
        "kind": ExperimentKind.CTA_LABEL,
        "goal": ExperimentGoal.FORM_SUBMISSION,
        "landing_page": page,
        "hypothesis": "A concrete label converts better.",
        "variants": [
            VariantSpec(
                name="Control" if i == 0 else f"Variant {chr(65 + i)}",
                weight=w,
                is_control=i == 0,
                cta_label=label,
            )
            for i, (label, w) in enumerate(zip(labels, weights, strict=True))
        ],
    }
    fields.update(extra)
    return ExperimentSpec(**fields)  # type: ignore[arg-type]


def running_cta(actor: User, page: LandingPage, **extra: object) -> Experiment:
    experiment = experiment_create(actor=actor, spec=cta_spec(page, **extra))
    return experiment_start(actor=actor, experiment=experiment)


def visitors_by_variant(experiment: Experiment, count: int = 2) -> dict[str, list[Visitor]]:
    """Stored visitors, grouped by the variant the experiment assigns them (first `count` each)."""
    arms = [Arm(v.key, v.weight) for v in experiment.variants.all()]
    found: dict[str, list[Visitor]] = {arm.key: [] for arm in arms}
    n = 0
    while any(len(group) < count for group in found.values()):
        vid = uuid.UUID(int=n + 1)
        key = assign(salt=experiment.salt, subject_key=visitor_key(vid), arms=arms)
        if len(found[key]) < count:
            now = timezone.now()
            found[key].append(Visitor.objects.create(id=vid, first_seen_at=now, last_seen_at=now))
        n += 1
    return found
