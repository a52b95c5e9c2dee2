"""The pipeline board: columns of deals per stage, moved by drag and drop."""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from revline.core import permissions
from revline.core.models import User

from . import board_selectors, services
from .board_forms import BoardCloseForm, BoardMoveForm
from .forms import DealFilterForm
from .models import Deal, Pipeline, StageKind

EDIT_DENIED = "You can only change deals of your own team."
BOARD_FIELDS = ("owner", "team", "period", "close_from", "close_to", "amount_min", "amount_max")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _refused(message: str, status: int) -> HttpResponse:
    # Plain text: the board's script shows it with textContent, so nothing is interpreted.
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _pick_pipeline(pipelines: list[Pipeline], raw: str) -> Pipeline | None:
    if not raw:
        return pipelines[0] if pipelines else None
    found = [p for p in pipelines if str(p.pk) == raw]
    if not found:
        raise Http404("No such pipeline.")
    return found[0]


def _filter_params(request: HttpRequest) -> dict[str, str]:
    """The board's filters as typed, to keep them in links (tabs, list view, “more”)."""
    return {key: request.GET[key] for key in BOARD_FIELDS if request.GET.get(key)}


def _board_context(request: HttpRequest, pipeline: Pipeline) -> dict[str, Any]:
    filter_form = DealFilterForm(request.GET or None)
    filter_form.is_valid()
    board = board_selectors.pipeline_board(
        user=_user(request), pipeline=pipeline, filters=filter_form.filters(), now=timezone.now()
    )
    params = _filter_params(request)
    return {
        "board": board,
        "filter_form": filter_form,
        "filtered": bool(params),
        "board_query": urlencode({"pipeline": pipeline.pk, **params}),
        "list_url": f"{reverse('sales:deals')}?{urlencode({'pipeline': pipeline.pk, **params})}",
    }


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    pipelines = board_selectors.board_pipelines()
    pipeline = _pick_pipeline(pipelines, request.GET.get("pipeline", ""))
    if pipeline is None:
        return render(request, "sales/board.html", {"board": None, "pipelines": []})
    context = _board_context(request, pipeline)
    params = _filter_params(request)
    context.update(
        pipelines=[
            (p, "?" + urlencode({"pipeline": p.pk, **params}), p.pk == pipeline.pk)
            for p in pipelines
        ],
        close_choices=board_selectors.close_choices(),
    )
    status = 400 if context["filter_form"].errors else 200
    return render(request, "sales/board.html", context, status=status)


def _movable_deal(request: HttpRequest, raw_pk: int) -> Deal:
    deal = board_selectors.board_deal(user=_user(request), pk=raw_pk)
    if deal is None:
        raise Http404("This deal does not exist or is not visible to you.")
    return deal


def _render_body(request: HttpRequest, deal: Deal) -> HttpResponse:
    return render(request, "sales/partials/board_body.html", _board_context(request, deal.pipeline))


def _errors_text(form: Any) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _service_errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_POST
def board_move(request: HttpRequest) -> HttpResponse:
    """Move a card to another open stage; answers the re-rendered board, or a 4xx reason."""
    form = BoardMoveForm(request.POST)
    if not form.is_valid():
        return _refused(_errors_text(form), 400)
    try:
        deal = _movable_deal(request, form.cleaned_data["deal"])
    except Http404 as exc:
        return _refused(str(exc), 404)
    if not permissions.can_edit_deal(_user(request), deal):
        return _refused(EDIT_DENIED, 403)
    stage = form.cleaned_data["stage"]
    if stage.kind != StageKind.OPEN:
        return _refused("Close the deal as won or lost, with a reason.", 400)
    try:
        services.deal_move_stage(actor=_user(request), deal=deal, stage=stage)
    except PermissionDenied as exc:
        return _refused(str(exc) or EDIT_DENIED, 403)
    except ValidationError as exc:
        return _refused(_service_errors(exc), 400)
    return _render_body(request, deal)


@login_required
@require_POST
def board_close(request: HttpRequest) -> HttpResponse:
    """Close a card dropped on the won or lost column, with the dialog's reason."""
    form = BoardCloseForm(request.POST)
    if not form.is_valid():
        return _refused(_errors_text(form), 400)
    data = form.cleaned_data
    try:
        deal = _movable_deal(request, data["deal"])
    except Http404 as exc:
        return _refused(str(exc), 404)
    if not permissions.can_edit_deal(_user(request), deal):
        return _refused(EDIT_DENIED, 403)
    try:
        if data["outcome"] == StageKind.WON:
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
    except PermissionDenied as exc:
        return _refused(str(exc) or EDIT_DENIED, 403)
    except ValidationError as exc:
        return _refused(_service_errors(exc), 400)
    return _render_body(request, deal)
