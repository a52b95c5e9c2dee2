from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.core.visibility import can_view_company, can_view_contact, with_hidden_flags
from revline.people.models import Contact

from . import board_selectors, forecast_services, selectors, services
from .attachment_files import attachment_file_response
from .forms import (
    ActivityForm,
    AttachmentFileForm,
    AttachmentLinkForm,
    CloseDealForm,
    CommitteeAddForm,
    CommitteeRoleForm,
    DealCreateForm,
    DealFilterForm,
    DealForm,
    ForecastCategoryForm,
    MoveStageForm,
    NextStepForm,
    PipelineCreateForm,
    PipelineEditForm,
    changed_deal_fields,
)
from .models import CommitteeRole, Deal, DealAttachment, DealContact, DealStatus, Pipeline
from .stages import with_closing_stages

DEAL_COLUMNS = [
    Column("name", "Deal", "name"),
    Column("company", "Company", "company__name"),
    Column("stage", "Stage", "stage__position"),
    Column("amount", "Amount", "amount"),
    Column("close", "Expected close", "expected_close_date"),
    Column("owner", "Owner", "owner__first_name"),
    Column("created", "Created", "created_at"),
]
DEAL_SEARCH_FIELDS = ["name", "company__name", "contact_name", "contact__email"]
EDIT_DENIED = "You can only change deals of your own team."


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    filter_form = DealFilterForm(request.GET or None)
    filter_form.is_valid()
    user = _user(request)
    deals = board_selectors.deals_matching(user=user, filters=filter_form.filters())
    deals = with_hidden_flags(deals, user, contact="contact", company="company")
    listing = build_listing(
        request,
        deals,
        columns=DEAL_COLUMNS,
        search_fields=DEAL_SEARCH_FIELDS,
        default_sort="-created",
    )
    context = {
        "filter_form": filter_form,
        "listing": listing,
        "totals": selectors.deal_totals(listing.page.paginator.object_list),  # type: ignore[arg-type]
        "filtered": bool(listing.query or filter_form.filters()),
        "board_url": _board_url(request),
    }
    return render(
        request, "sales/deal_list.html", context, status=400 if filter_form.errors else 200
    )


def _board_url(request: HttpRequest) -> str:
    """The board with the list's filters (those the board has; it always shows one pipeline)."""
    keys = (
        "pipeline",
        "owner",
        "team",
        "period",
        "close_from",
        "close_to",
        "amount_min",
        "amount_max",
    )
    params = {key: request.GET[key] for key in keys if request.GET.get(key)}
    return reverse("sales:board") + (f"?{urlencode(params)}" if params else "")


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    """The deal if the user may see it; a deal of another team is a 404, like a missing one."""
    deals = selectors.deals_visible_to(_user(request), selectors.deals_queryset())
    return get_object_or_404(
        deals.select_related("owner__team", "contact__owner", "company__owner"), pk=pk
    )


def _editable_deal(request: HttpRequest, pk: int) -> Deal:
    deal = _deal_or_404(request, pk)
    permissions.require(permissions.can_edit_deal(_user(request), deal), EDIT_DENIED)
    return deal


def _render_deal(
    request: HttpRequest,
    deal: Deal,
    *,
    status: int = 200,
    **bound: forms.Form,
) -> HttpResponse:
    """The deal page; `bound` replaces the blank form of that name with a bound, invalid one."""
    blank: dict[str, Any] = {
        "move_form": lambda: MoveStageForm(deal=deal),
        "close_form": CloseDealForm,
        "activity_form": ActivityForm,
        "next_step_form": lambda: NextStepForm(initial={"next_step": deal.next_step}),
        "forecast_form": lambda: ForecastCategoryForm(
            initial={"forecast_category": deal.forecast_category}
        ),
        "member_form": lambda: CommitteeAddForm(actor=_user(request)),
        "role_form": CommitteeRoleForm,
        "link_form": AttachmentLinkForm,
        "upload_form": AttachmentFileForm,
    }
    page = selectors.deal_page(deal=deal, now=timezone.now(), viewer=_user(request))
    forms_: dict[str, Any] = {
        name: bound[name] if name in bound else make() for name, make in blank.items()
    }
    move_form, close_form, role_form = (
        forms_["move_form"],
        forms_["close_form"],
        forms_["role_form"],
    )
    # Errors that no visible field shows (a refused move, a deal already closed) go on top.
    action_errors = [
        *(error for errors in move_form.errors.values() for error in errors),
        *close_form.non_field_errors(),
        *(close_form.errors.get("outcome") or []),
        *(error for errors in role_form.errors.values() for error in errors),
    ]
    context: dict[str, Any] = {
        **forms_,
        "deal": deal,
        "page": page,
        "can_edit": permissions.can_edit_deal(_user(request), deal),
        "is_open": deal.status == DealStatus.OPEN,
        "action_errors": action_errors,
        "roles": CommitteeRole.choices,
    }
    return render(request, "sales/deal_detail.html", context, status=status)


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_deal(request, _deal_or_404(request, pk))


def _back_to(deal: Deal, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('sales:deal', args=[deal.pk])}#{anchor}")


def _deal_form_post(
    request: HttpRequest,
    deal: Deal,
    *,
    form_name: str,
    form: forms.Form,
    apply: Callable[[dict[str, Any]], str],
    anchor: str = "",
) -> HttpResponse:
    """One of the deal page's forms, posted: `apply` calls the service with the cleaned data and
    returns the success message; then back to the deal (at `anchor`). A refused form, or a
    service that refuses, re-renders the page with the errors on that form (400)."""
    if form.is_valid():
        try:
            message = apply(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return _back_to(deal, anchor) if anchor else redirect("sales:deal", pk=deal.pk)
    # A service may have changed the deal in memory before refusing: show it as stored.
    deal = _deal_or_404(request, deal.pk)
    return _render_deal(request, deal, status=400, **{form_name: form})


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        services.deal_move_stage(actor=_user(request), deal=deal, stage=data["stage"])
        return f"Moved to {deal.stage.name}."

    form = MoveStageForm(request.POST, deal=deal)
    return _deal_form_post(request, deal, form_name="move_form", form=form, apply=apply)


@login_required
@require_POST
def deal_close(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        if data["outcome"] == "won":
            services.deal_close_won(
                actor=_user(request), deal=deal, reason=data["reason"], note=data["note"]
            )
        else:
            services.deal_close_lost(
                actor=_user(request),
                deal=deal,
                reason=data["reason"],
                note=data["note"],
                lost_to=data["lost_to"],
            )
        return f"Deal closed as {deal.get_status_display().lower()}."

    form = CloseDealForm(request.POST)
    return _deal_form_post(request, deal, form_name="close_form", form=form, apply=apply)


@login_required
@require_POST
def deal_next_step(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        services.deal_update(actor=_user(request), deal=deal, next_step=data["next_step"])
        return "Next step saved."

    form = NextStepForm(request.POST)
    return _deal_form_post(
        request, deal, form_name="next_step_form", form=form, apply=apply, anchor="deal-props"
    )


@login_required
@require_POST
def deal_forecast_category(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        forecast_services.deal_forecast_category_set(
            actor=_user(request), deal=deal, category=data["forecast_category"]
        )
        return "Forecast category saved."

    form = ForecastCategoryForm(request.POST)
    return _deal_form_post(
        request, deal, form_name="forecast_form", form=form, apply=apply, anchor="deal-props"
    )


@login_required
@require_POST
def deal_committee_add(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        member = services.deal_contact_add(
            actor=_user(request), deal=deal, contact=data["contact"], role=data["role"]
        )
        return f"{member.contact} added to the buying committee."

    form = CommitteeAddForm(request.POST, actor=_user(request))
    return _deal_form_post(
        request, deal, form_name="member_form", form=form, apply=apply, anchor="committee"
    )


def _member_or_404(deal: Deal, member_pk: int) -> DealContact:
    return get_object_or_404(
        DealContact.objects.select_related("contact__owner", "deal__owner"),
        pk=member_pk,
        deal=deal,
    )


def _member_name(request: HttpRequest, member: DealContact) -> str:
    """The member's name, unless the user may not see that contact (core.visibility)."""
    if can_view_contact(_user(request), member.contact):
        return str(member.contact)
    return selectors.HIDDEN_CONTACT


@login_required
@require_POST
def deal_committee_update(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    member = _member_or_404(deal, member_pk)

    def apply(data: dict[str, Any]) -> str:
        services.deal_contact_update(actor=_user(request), member=member, role=data["role"])
        return f"{_member_name(request, member)} is now {member.get_role_display()}."

    form = CommitteeRoleForm(request.POST)
    return _deal_form_post(
        request, deal, form_name="role_form", form=form, apply=apply, anchor="committee"
    )


@login_required
@require_POST
def deal_committee_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    member = _member_or_404(deal, member_pk)
    services.deal_contact_remove(actor=_user(request), member=member)
    name = _member_name(request, member)
    messages.success(request, f"{name} removed from the buying committee.")
    return _back_to(deal, "committee")


@login_required
@require_POST
def deal_attachment_link(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        services.deal_attachment_add_link(
            actor=_user(request), deal=deal, title=data["title"], url=data["url"]
        )
        return "Link added."

    form = AttachmentLinkForm(request.POST)
    return _deal_form_post(
        request, deal, form_name="link_form", form=form, apply=apply, anchor="files"
    )


@login_required
@require_POST
def deal_attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        services.deal_attachment_add_file(
            actor=_user(request), deal=deal, title=data["title"], upload=data["file"]
        )
        return "File uploaded."

    form = AttachmentFileForm(request.POST, request.FILES)
    return _deal_form_post(
        request, deal, form_name="upload_form", form=form, apply=apply, anchor="files"
    )


def _attachment_or_404(deal: Deal, attachment_pk: int) -> DealAttachment:
    return get_object_or_404(
        DealAttachment.objects.select_related("deal__owner"), pk=attachment_pk, deal=deal
    )


@login_required
@require_GET
def deal_attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """An uploaded file, to whoever may see the deal, always as a download: a file that a
    browser rendered inline could run script in the app's origin."""
    deal = _deal_or_404(request, pk)
    attachment = _attachment_or_404(deal, attachment_pk)
    if not attachment.file:
        raise Http404("This attachment is a link, not a file.")
    return attachment_file_response(attachment)


@login_required
@require_POST
def deal_attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    attachment = _attachment_or_404(deal, attachment_pk)
    services.deal_attachment_delete(actor=_user(request), attachment=attachment)
    messages.success(request, f"“{attachment.title}” deleted.")
    return _back_to(deal, "files")


@login_required
@require_POST
def deal_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    services.deal_reopen(actor=_user(request), deal=deal)
    messages.success(request, f"Deal reopened in {deal.stage.name}.")
    return redirect("sales:deal", pk=deal.pk)


@login_required
@require_POST
def deal_activity(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)

    def apply(data: dict[str, Any]) -> str:
        services.activity_log(
            actor=_user(request),
            deal=deal,
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            occurred_at=data["occurred_at"],
        )
        return "Activity logged."

    form = ActivityForm(request.POST)
    return _deal_form_post(request, deal, form_name="activity_form", form=form, apply=apply)


def _prefill_contact(request: HttpRequest) -> Contact | None:
    raw = request.GET.get("contact", "")
    if not raw.isdigit():
        return None
    contacts = selectors.contact_choices(_user(request)).select_related("company__owner")
    return contacts.filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    permissions.require(
        permissions.can_create_deals(actor), "Only sales people and admins can create deals."
    )
    contact = _prefill_contact(request)
    company = contact.company if contact else None
    if company is not None and not can_view_company(actor, company):
        company = None
    initial = {"contact": contact, "company": company}
    form = DealCreateForm(
        request.POST or None,
        actor=actor,
        initial=initial,
        default_pipeline=selectors.default_pipeline(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = services.deal_create(
                actor=actor,
                name=data["name"],
                pipeline=data["pipeline"],
                stage=data["stage"],
                contact=data["contact"],
                company=data["company"],
                amount=data["amount"],
                currency=data["currency"],
                expected_close_date=data["expected_close_date"],
                owner=data["owner"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Deal “{deal.name}” created.")
            return redirect("sales:deal", pk=deal.pk)
    context = {"form": form, "deal": None, "from_contact": contact}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/deal_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = DealForm(request.POST or None, actor=_user(request), deal=deal)
    if request.method == "POST" and form.is_valid():
        changes = changed_deal_fields(deal, form.cleaned_data)
        try:
            if changes:
                services.deal_update(actor=_user(request), deal=deal, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Deal saved." if changes else "Nothing changed.")
            return redirect("sales:deal", pk=deal.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal}, status=status)


@login_required
@require_GET
def lookup_contacts(request: HttpRequest) -> HttpResponse:
    items = selectors.contact_lookup(query=request.GET.get("q", "")[:100], user=_user(request))
    return render(request, "sales/partials/lookup_results.html", {"items": items})


@login_required
@require_GET
def lookup_companies(request: HttpRequest) -> HttpResponse:
    items = selectors.company_lookup(query=request.GET.get("q", "")[:100], user=_user(request))
    return render(request, "sales/partials/lookup_results.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    can_manage = permissions.can_manage_pipelines(actor)
    form = PipelineCreateForm(request.POST or None)
    if request.method == "POST":
        permissions.require(can_manage, "Only sales managers and admins can create pipelines.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                pipeline = services.pipeline_create(
                    actor=actor,
                    name=data["name"],
                    stages=with_closing_stages(data["stages"]),
                    is_default=data["is_default"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Pipeline “{pipeline.name}” created.")
                return redirect("sales:pipelines")
    context = {"rows": selectors.pipelines_overview(), "form": form, "can_manage": can_manage}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/pipeline_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    permissions.require(
        permissions.can_manage_pipelines(actor),
        "Only sales managers and admins can edit pipelines.",
    )
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineEditForm(
        request.POST or None, pipeline=pipeline, stages=pipeline.stages.order_by("position")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pipeline_update(
                actor=actor,
                pipeline=pipeline,
                name=form.cleaned_data["name"],
                stages=form.stage_changes(),
                stale_after_days=form.cleaned_data["stale_after_days"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Pipeline “{pipeline.name}” saved.")
            return redirect("sales:pipelines")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "sales/pipeline_edit.html", {"form": form, "pipeline": pipeline}, status=status
    )
