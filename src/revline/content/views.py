from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from revline.core.ratelimit import client_ip, public_rate_limit
from revline.tracking.services import UTM_KEYS, parse_visitor_id
from revline.tracking.views import VISITOR_COOKIE, request_info, set_visitor_cookie

from .forms import LeadCaptureForm
from .models import LandingPage
from .services import LeadForm, form_submit, page_view_record


def _utm_from(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "")[:100] for k in UTM_KEYS if request.GET.get(k)}


@require_http_methods(["GET", "POST"])
@public_rate_limit("landing_page")
def landing_page(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(LandingPage, slug=slug, is_published=True)
    visitor_id = parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE))
    utm = _utm_from(request)
    if request.method == "POST":
        form = LeadCaptureForm(request.POST, page=page)
        if form.is_valid():
            data = form.cleaned_data
            _contact, visitor_id = form_submit(
                page=page,
                form=LeadForm(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    company_name=data["company_name"],
                    title=data["title"],
                    consent=data["consent"],
                ),
                visitor_id=visitor_id,
                ip_address=client_ip(request),
                utm=utm,
                info=request_info(request),
            )
            thanks = redirect("content:landing_page_thanks", slug=page.slug)
            set_visitor_cookie(thanks, visitor_id)
            return thanks
        return render(
            request, "content/landing_page.html", {"page": page, "form": form}, status=400
        )
    visitor_id = page_view_record(
        page=page, visitor_id=visitor_id, utm=utm, info=request_info(request)
    )
    response = render(
        request, "content/landing_page.html", {"page": page, "form": LeadCaptureForm(page=page)}
    )
    set_visitor_cookie(response, visitor_id)
    return response


def landing_page_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(LandingPage, slug=slug, is_published=True)
    return render(request, "content/landing_page_thanks.html", {"page": page})
