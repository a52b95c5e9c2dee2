"""The playbook editor (per pipeline) and the playbook panel of the deal page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User

from . import playbook_selectors, playbook_services, selectors, share_services
from .activity_services import EDIT_DENIED
from .models import Deal, DealStatus, Pipeline, PlaybookItem
from .playbook_forms import PlaybookForm, ShareForm


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    deals = selectors.deals_visible_to(_user(request), selectors.deals_queryset())
    return get_object_or_404(deals.select_related("owner__team", "contact__owner"), pk=pk)


def _editable_deal(request: HttpRequest, pk: int) -> Deal:
    deal = _deal_or_404(request, pk)
    permissions.require(permissions.can_edit_deal(_user(request), deal), EDIT_DENIED)
    return deal


@login_required
@require_http_methods(["GET", "POST"])
def playbooks(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    permissions.require(
        permissions.can_manage_pipelines(actor),
        "Only sales managers and admins can edit playbooks.",
    )
    pipeline = get_object_or_404(Pipeline, pk=pk)
    rows = playbook_selectors.pipeline_playbooks(pipeline)
    forms: dict[int, PlaybookForm] = {
        row.stage.pk: PlaybookForm(
            initial={
                "talk_track": row.playbook.talk_track if row.playbook else "",
                "questions": "\n".join(row.questions),
                "tasks": "\n".join(row.tasks),
                "content": row.content_ids,
            },
            prefix=f"s{row.stage.pk}",
        )
        for row in rows
    }
    status = 200
    if request.method == "POST":
        raw = request.POST.get("stage", "")
        stage = next((r.stage for r in rows if str(r.stage.pk) == raw), None)
        if stage is None:
            return HttpResponse("Pick an open stage of this pipeline.", status=400)
        form = PlaybookForm(request.POST, prefix=f"s{stage.pk}")
        forms[stage.pk] = form
        if form.is_valid():
            try:
                playbook_services.playbook_save(
                    actor=actor,
                    stage=stage,
                    talk_track=form.cleaned_data["talk_track"],
                    questions=form.lines("questions"),
                    tasks=form.lines("tasks"),
                    content=list(form.cleaned_data["content"]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Playbook for {stage.name} saved.")
                return redirect(f"{request.path}#stage-{stage.pk}")
        status = 400
    context = {
        "pipeline": pipeline,
        "sections": [(row, forms[row.stage.pk]) for row in rows],
    }
    return render(request, "sales/playbooks.html", context, status=status)


def _render_panel(
    request: HttpRequest,
    deal: Deal,
    *,
    share_form: ShareForm | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "deal": deal,
        "book": playbook_selectors.deal_playbook(deal, viewer=user),
        "can_edit": permissions.can_edit_deal(user, deal),
        "can_manage": permissions.can_manage_pipelines(user),
        "is_open": deal.status == DealStatus.OPEN,
        "contacts": share_services.deal_contacts(deal, viewer=user),
        "share_form": share_form,
        "error": error,
        "notice": notice,
    }
    return render(request, "sales/partials/playbook_panel.html", context, status=status)


@login_required
@require_GET
def deal_playbook_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_panel(request, _deal_or_404(request, pk))


@login_required
@require_POST
def playbook_tick(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    item = PlaybookItem.objects.select_related("playbook__stage").filter(pk=item_pk).first()
    if item is None:
        raise Http404("No such checklist item.")
    error = ""
    try:
        playbook_services.playbook_tick_toggle(actor=_user(request), deal=deal, item=item)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect("sales:deal", pk=deal.pk)
    return _render_panel(request, deal, error=error, status=400 if error else 200)


@login_required
@require_POST
def deal_share_content(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = ShareForm(request.POST, deal=deal, viewer=_user(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            share = share_services.content_share_send(
                actor=_user(request),
                deal=deal,
                contact=data["contact"],
                content_item=data["content_item"],
                message=data["message"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            notice = f"Sent “{share.content_item.title}” to {share.contact}."
            if not _is_htmx(request):
                messages.success(request, notice)
                return redirect("sales:deal", pk=deal.pk)
            return _render_panel(request, deal, notice=notice)
    error = " ".join(
        f"{form.fields[name].label or name}: {' '.join(map(str, errs))}"
        if name in form.fields
        else " ".join(map(str, errs))
        for name, errs in form.errors.items()
    )
    if not _is_htmx(request):
        messages.error(request, error)
        return redirect("sales:deal", pk=deal.pk)
    return _render_panel(request, deal, share_form=form, error=error, status=400)
