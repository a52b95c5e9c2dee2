"""Form builder and page builder reads."""

from dataclasses import dataclass

from django.db.models import CharField, Count, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast

from revline.campaigns.models import Campaign
from revline.core.audience import whole_audience
from revline.core.models import User
from revline.core.visibility import contact_q
from revline.core.workspace import workspace_get, workspace_origins
from revline.tracking.models import TrackedLink

from .models import Form, FormField, FormSubmission

RECENT_SUBMISSIONS = 25
LINK_CHOICES = 200


def forms_with_counts(*, audience: bool = True) -> QuerySet[Form]:
    """Forms with `submission_count`, `field_count` and a string `campaign_key` for filters.

    Without `audience` (a reader who does not see every contact, core.audience) the submission
    count is None: it counts every contact's submissions."""
    return Form.objects.select_related("campaign").annotate(
        submission_count=(
            Count("submissions", distinct=True)
            if audience
            else Value(None, output_field=IntegerField())
        ),
        field_count=Count("fields", distinct=True),
        campaign_key=Cast("campaign_id", CharField()),
    )


def form_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(forms__isnull=False).distinct().order_by("name")


def form_fields(form: Form) -> list[FormField]:
    return list(form.fields.order_by("position", "pk"))


def form_by_embed_key(embed_key: str) -> Form | None:
    return Form.objects.filter(embed_key=embed_key).first()


@dataclass(frozen=True)
class FormDetail:
    form: Form
    fields: list[FormField]
    # None for a reader who does not see every contact (core.audience).
    submissions: int | None
    contacts: int | None
    recent_submissions: list[FormSubmission]


def visible_submissions(submissions: QuerySet[FormSubmission], viewer: User | None) -> QuerySet:
    """The submissions of contacts `viewer` may see (None: all)."""
    condition = contact_q(viewer, "contact__") if viewer is not None else Q()
    return submissions.filter(condition) if condition else submissions


def form_detail(form: Form, *, viewer: User | None = None) -> FormDetail:
    counts: dict[str, int | None] = {"n": None, "contacts": None}
    if whole_audience(viewer):
        counts = form.submissions.aggregate(n=Count("pk"), contacts=Count("contact", distinct=True))
    recent = visible_submissions(form.submissions.all(), viewer)
    recent = recent.select_related("contact", "landing_page").order_by("-submitted_at", "-pk")
    return FormDetail(
        form=form,
        fields=form_fields(form),
        submissions=counts["n"],
        contacts=counts["contacts"],
        recent_submissions=list(recent[:RECENT_SUBMISSIONS]),
    )


def tracked_link_choices() -> list[tuple[str, str]]:
    """Active tracked links a page button may open, newest first, as (token, description)."""
    links = TrackedLink.objects.filter(is_active=True).select_related("campaign")
    return [
        (link.token, f"{link.campaign.name} · {link.label or link.destination_url}"[:200])
        for link in links.order_by("-created_at")[:LINK_CHOICES]
    ]


def site_origins() -> frozenset[str]:
    """The workspace's own websites, allowed to frame and post embedded forms."""
    return workspace_origins(workspace_get())
