"""The SLA report page: how fast sales first touched its MQLs, per rep and team.

Every signed-in user may open it; the figures cover only the hand-offs the lead queue shows
them (a rep sees their own row, a manager their team), see sla_report_selectors."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from revline.core.models import User

from . import sla_report_selectors as selectors
from .report_forms import MAX_RANGE_DAYS, ReportPeriodForm

DEFAULT_DAYS = 90
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class SlaFilterForm(ReportPeriodForm):
    """MQLs qualified between two days; by default the last 90 days up to today."""

    def period(self) -> tuple[date, date]:
        data = self._valid_data()
        if self.non_field_errors():
            data = {}
        last = data.get("last") or self.today
        first = data.get("first") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            first = last - timedelta(days=DEFAULT_DAYS - 1)
        if (last - first).days > MAX_RANGE_DAYS:
            first = last - timedelta(days=MAX_RANGE_DAYS)
        return first, last


@login_required
@require_GET
def sla_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    now = timezone.now()
    form = SlaFilterForm(request.GET or None, today=timezone.localdate())
    first, last = form.period()
    if not form.is_bound:
        form.initial = {"first": first, "last": last}
    report = selectors.sla_report_build(user=user, first=first, last=last, now=now)
    page, breached = selectors.breached_handoffs(
        user=user, first=first, last=last, now=now, page=request.GET.get("page", 1)
    )
    calendar = report.calendar
    chart = {
        "weeks": [week.start.strftime("%b %-d") for week in report.weeks],
        "rate": [week.met_rate for week in report.weeks],
        "met": [week.met for week in report.weeks],
        "missed": [week.missed for week in report.weeks],
    }
    context = {
        "form": form,
        "report": report,
        "chart": chart,
        "breached": breached,
        "page": page,
        "page_query": f"first={first:%Y-%m-%d}&last={last:%Y-%m-%d}",
        "business_days": ", ".join(WEEKDAYS[d] for d in sorted(calendar.days)),
    }
    return render(request, "leads/report_sla.html", context, status=400 if form.errors else 200)
