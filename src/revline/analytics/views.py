from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .attribution import MODEL_LABELS
from .forms import PeriodForm
from .selectors import campaign_attribution


@login_required
def attribution(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    period = form.cleaned_data if form.is_valid() else {}
    report = campaign_attribution(
        viewer=request.user,  # type: ignore[arg-type]
        closed_from=period.get("closed_from"),
        closed_to=period.get("closed_to"),
    )
    chart = {
        "labels": [row.name for row in report.rows],
        "datasets": [
            {"label": MODEL_LABELS[m], "data": [float(row.revenue[m.value]) for row in report.rows]}
            for m in report.models
        ],
    }
    context = {
        "form": form,
        "report": report,
        "model_labels": [(m.value, MODEL_LABELS[m]) for m in report.models],
        "chart": chart,
    }
    status = 400 if form.errors else 200
    return render(request, "analytics/attribution.html", context, status=status)
