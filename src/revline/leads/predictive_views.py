"""The predictive model report, its retrain button and status, and the contact panel."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from revline.core.models import User
from revline.people.models import Contact

from . import predictive, predictive_services
from .models import ModelStatus, PredictiveModel


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _charts(model: PredictiveModel | None) -> dict[str, Any]:
    if model is None or not model.report:
        return {}
    report = model.report
    return {
        "lift": {
            "labels": [str(row["decile"]) for row in report.get("lift", [])],
            "lift": [row["lift"] for row in report.get("lift", [])],
            "rate": [round(row["rate"] * 100, 2) for row in report.get("lift", [])],
            "base": round(report.get("base_rate", 0) * 100, 2),
        },
        "calibration": {
            "predicted": [round(b["predicted"] * 100, 2) for b in report.get("calibration", [])],
            "observed": [round(b["observed"] * 100, 2) for b in report.get("calibration", [])],
        },
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _tables(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    lift = [
        {**row, "rate_pct": _pct(row["rate"]), "captured_pct": _pct(row["captured"])}
        for row in report.get("lift", [])
    ]
    calibration = [
        {
            **row,
            "predicted_pct": _pct(row["predicted"]),
            "observed_pct": _pct(row["observed"]),
            "range": f"{_pct(row['low'])} – {_pct(row['high'])}",
        }
        for row in report.get("calibration", [])
    ]
    return {"lift": lift, "calibration": calibration}


@login_required
@require_GET
def predictive_report(request: HttpRequest) -> HttpResponse:
    page = predictive_services.predictive_report(user=_user(request))
    report = page.current.report if page.current else {}
    context = {
        "page": page,
        "report": report,
        "chosen_label": predictive.ALGORITHM_LABELS.get(report.get("chosen", ""), ""),
        "charts": _charts(page.current),
        "tables": _tables(report),
        "base_rate": _pct(report.get("base_rate")),
        "tiers": [
            {
                **t,
                "mean_pct": _pct(t["mean"]),
                "low_pct": _pct(t["low"]),
                "high_pct": _pct(t["high"]),
            }
            for t in page.tiers
        ],
        "statuses": ModelStatus,
    }
    return render(request, "leads/predictive_report.html", context)


@login_required
@require_POST
def predictive_retrain(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not predictive_services.can_manage_predictive(user):
        raise PermissionDenied("Only admins and marketers retrain the model.")
    try:
        predictive_services.predictive_retrain_request(actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Training started in the background; this page updates when it is done."
        )
    return redirect("leads:predictive")


@login_required
@require_GET
def predictive_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status line of one run, polled by htmx while it is queued or training; once it is
    done the whole page reloads to show the new report."""
    try:
        run = predictive_services.predictive_run_get(user=_user(request), model_id=pk)
    except PredictiveModel.DoesNotExist as missing:
        raise Http404("No such training run.") from missing
    response = render(
        request, "leads/predictive_status.html", {"run": run, "statuses": ModelStatus}
    )
    if run.status not in predictive_services.IN_PROGRESS and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def contact_prediction_panel(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    prediction = predictive_services.contact_prediction(user=_user(request), contact=contact)
    context = {
        "contact": contact,
        "prediction": prediction,
        "can_manage": predictive_services.can_manage_predictive(_user(request)),
    }
    return render(request, "leads/predictive_contact_panel.html", context)
