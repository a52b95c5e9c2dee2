"""Public pages: landing pages at /lp/<slug> and forms embedded on other sites at /f/<embed_key>."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from revline.core.ratelimit import client_ip
from revline.core.views import rate_limited
from revline.experiments.services import landing_page_converted, landing_page_serve
from revline.tracking.services import UTM_KEYS, RequestInfo, parse_visitor_id
from revline.tracking.views import VISITOR_COOKIE, request_info, set_visitor_cookie

from . import builder_selectors
from .blocks import FORM_ANCHOR, blocks_for_render, site_path_error
from .builder_forms import SubmissionForm
from .builder_services import form_rejection_record
from .embed import frame_ancestors, origin_of, post_origin_allowed
from .forms import LeadCaptureForm
from .models import Form, LandingPage
from .services import (
    LeadForm,
    form_submission_create,
    form_submit,
    form_view_record,
    page_view_record,
)

# Public pages carry no inline script or style, so the browser can refuse any that sneaks in.
PUBLIC_CSP = (
    "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
OVER_LIMIT = "Too many submissions from your network. Please wait a minute and try again."


def _utm_from(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "")[:100] for k in UTM_KEYS if request.GET.get(k)}


def _over_limit(request: HttpRequest, group: str) -> bool:
    """Counts this request against the per-IP public limit, like core.ratelimit.public_rate_limit,
    but lets the view answer (a refused form submission must be counted on its form)."""
    return is_ratelimited(
        request,
        group=group,
        key=lambda _group, req: client_ip(req),
        rate=f"{settings.REVLINE_PUBLIC_RATE_LIMIT}/m",
        increment=True,
    )


def _secure(response: HttpResponse, ancestors: str = "frame-ancestors 'none'") -> HttpResponse:
    response["Content-Security-Policy"] = f"{PUBLIC_CSP}; {ancestors}"
    return response


def _page_context(page: LandingPage, form: object) -> dict[str, object]:
    return {
        "page": page,
        "blocks": blocks_for_render(page.blocks, has_form=page.form_id is not None),
        "form": form,
        "form_anchor": FORM_ANCHOR,
    }


def _after_submit(builder_form: Form, thanks_url: str) -> HttpResponseRedirect:
    """The form's own path on this site when it is (still) a safe one, else the thank-you page."""
    path = builder_form.redirect_path
    if path and site_path_error(path) is None:
        return HttpResponseRedirect(path)
    return HttpResponseRedirect(thanks_url)


def _submit_builder_form(
    request: HttpRequest,
    *,
    builder_form: Form,
    page: LandingPage | None,
    utm: dict[str, str],
) -> tuple[SubmissionForm, int, uuid.UUID | None]:
    """Validate and store a builder-form submission: (form, HTTP status, visitor id).

    Status 200 means stored. Over-limit and honeypot submissions are counted on the form and
    never stored; invalid ones are shown again with their errors.
    """
    fields = builder_selectors.form_fields(builder_form)
    submission_form = SubmissionForm(
        request.POST, form=builder_form, fields=fields, query=request.GET
    )
    valid = submission_form.is_valid()
    if _over_limit(request, "form_submit"):
        form_rejection_record(form=builder_form)
        submission_form.add_error(None, OVER_LIMIT)
        return submission_form, 429, None
    if submission_form.honeypot_filled:
        form_rejection_record(form=builder_form)
        return submission_form, 400, None
    if not valid:
        return submission_form, 400, None
    submission = submission_form.submission()
    try:
        _contact, visitor_id = form_submission_create(
            page=page,
            form=builder_form,
            values=submission.values,
            consent=submission.consent,
            visitor_id=parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE)),
            ip_address=client_ip(request),
            utm={**utm, **submission.utm},
            info=request_info(request),
        )
    except ValidationError as exc:  # e.g. a form whose email field was removed behind our back
        submission_form.add_error(None, exc.messages)
        return submission_form, 400, None
    return submission_form, 200, visitor_id


@require_http_methods(["GET", "POST"])
def landing_page(request: HttpRequest, slug: str) -> HttpResponse:
    tested = get_object_or_404(
        LandingPage.objects.select_related("form", "campaign"), slug=slug, is_published=True
    )
    utm = _utm_from(request)
    visitor_id = parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE))
    if request.method == "POST":
        # Under a running experiment the visitor's variant (and its form) takes the submission.
        page = landing_page_serve(page=tested, visitor_id=visitor_id, record=False)
        builder_form = page.form
        if builder_form is not None:
            submission_form, status, visitor_id = _submit_builder_form(
                request, builder_form=builder_form, page=page, utm=utm
            )
            if status != 200:
                context = _page_context(page, submission_form)
                return _secure(render(request, "content/landing_page.html", context, status=status))
            landing_page_converted(page=tested, visitor_id=visitor_id)
            thanks = reverse("content:landing_page_thanks", kwargs={"slug": tested.slug})
            response: HttpResponse = _after_submit(builder_form, thanks)
            set_visitor_cookie(response, visitor_id)
            return response
        if _over_limit(request, "landing_page"):
            return rate_limited(request, Exception("rate limited"))
        return _classic_post(request, page, tested, visitor_id, utm)
    if _over_limit(request, "landing_page"):
        return rate_limited(request, Exception("rate limited"))
    visitor_id = page_view_record(
        page=tested, visitor_id=visitor_id, utm=utm, info=request_info(request)
    )
    # A new visitor has an id only now: the experiment's assignment needs it.
    page = landing_page_serve(page=tested, visitor_id=visitor_id, record=True)
    builder_form = page.form
    if builder_form is not None:
        form: object = SubmissionForm(
            form=builder_form, fields=builder_selectors.form_fields(builder_form), query=request.GET
        )
    else:
        form = LeadCaptureForm(page=page)
    response = render(request, "content/landing_page.html", _page_context(page, form))
    set_visitor_cookie(response, visitor_id)
    return _secure(response)


def _classic_post(
    request: HttpRequest,
    page: LandingPage,
    tested: LandingPage,
    visitor_id: uuid.UUID | None,
    utm: dict[str, str],
) -> HttpResponse:
    form = LeadCaptureForm(request.POST, page=page)
    if not form.is_valid():
        context = _page_context(page, form)
        return _secure(render(request, "content/landing_page.html", context, status=400))
    data = form.cleaned_data
    try:
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
    except ValidationError as exc:  # e.g. the address of a person who was erased
        form.add_error(None, exc)
        context = _page_context(page, form)
        return _secure(render(request, "content/landing_page.html", context, status=400))
    landing_page_converted(page=tested, visitor_id=visitor_id)
    thanks = redirect("content:landing_page_thanks", slug=tested.slug)
    set_visitor_cookie(thanks, visitor_id)
    return thanks


@require_GET
def landing_page_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(
        LandingPage.objects.select_related("form"), slug=slug, is_published=True
    )
    message = page.form.thank_you_message if page.form is not None else page.success_message
    context = {"page": page, "message": message}
    return _secure(render(request, "content/landing_page_thanks.html", context))


def _embedded_form(embed_key: str) -> Form:
    form = builder_selectors.form_by_embed_key(embed_key)
    if form is None:
        raise Http404("Unknown form")
    return form


def _framable(response: HttpResponse) -> HttpResponse:
    """This site and the workspace's own websites may show this response in a frame."""
    return _secure(response, frame_ancestors(builder_selectors.site_origins()))


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def form_embed(request: HttpRequest, embed_key: str) -> HttpResponse:
    """The form alone: shown in the iframe of the script embed, and the target of the plain HTML
    form embed, which posts here from another site.

    CSRF protection cannot work for a post from another site (no cookie, no token there), so
    this endpoint is exempt. In its place: the honeypot, the per-IP rate limit and, once the
    workspace lists its site origins, an Origin/Referer check; refusals are counted, never stored.
    """
    builder_form = _embedded_form(embed_key)
    context: dict[str, object] = {"builder_form": builder_form}
    if request.method == "POST":
        allowed = builder_selectors.site_origins()
        own = frozenset(
            o
            for o in (origin_of(settings.BASE_URL), origin_of(request.build_absolute_uri("/")))
            if o
        )
        if not post_origin_allowed(
            origin=request.META.get("HTTP_ORIGIN", ""),
            referer=request.META.get("HTTP_REFERER", ""),
            allowed=allowed,
            own=own,
        ):
            form_rejection_record(form=builder_form)
            return HttpResponse(
                "This form only accepts submissions from the websites it is embedded on.",
                status=403,
                content_type="text/plain",
            )
        submission_form, status, visitor_id = _submit_builder_form(
            request, builder_form=builder_form, page=None, utm=_utm_from(request)
        )
        if status == 200:
            thanks = reverse("content:form_embed_thanks", kwargs={"embed_key": embed_key})
            response: HttpResponse = _after_submit(builder_form, thanks)
            set_visitor_cookie(response, visitor_id)
            return response
        context["submission_form"] = submission_form
        return _framable(render(request, "content/form_embed.html", context, status=status))
    if _over_limit(request, "form_embed"):
        return rate_limited(request, Exception("rate limited"))
    context["submission_form"] = SubmissionForm(
        form=builder_form, fields=builder_selectors.form_fields(builder_form), query=request.GET
    )
    info = request_info(request)
    # The page the form is embedded on is what the visitor looked at.
    embedding_page = RequestInfo(
        url=info.referrer or info.url, referrer=info.referrer, user_agent=info.user_agent
    )
    visitor_id = form_view_record(
        form=builder_form,
        visitor_id=parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE)),
        utm=_utm_from(request),
        info=embedding_page,
    )
    response = _framable(render(request, "content/form_embed.html", context))
    set_visitor_cookie(response, visitor_id)
    return response


@xframe_options_exempt
@require_GET
def form_embed_thanks(request: HttpRequest, embed_key: str) -> HttpResponse:
    builder_form = _embedded_form(embed_key)
    return _framable(
        render(request, "content/form_embed_thanks.html", {"builder_form": builder_form})
    )


@require_GET
def form_embed_script(request: HttpRequest, embed_key: str) -> HttpResponse:
    """The script of the script-tag embed: it puts an iframe of the form where the tag is."""
    if _over_limit(request, "form_embed"):
        return rate_limited(request, Exception("rate limited"))
    builder_form = _embedded_form(embed_key)
    frame_url = request.build_absolute_uri(
        reverse("content:form_embed", kwargs={"embed_key": embed_key})
    )
    hidden = [
        f.name for f in builder_selectors.form_fields(builder_form) if f.field_type == "hidden"
    ]
    context = {
        "frame_url": frame_url,
        "origin": origin_of(frame_url) or "",
        "query_names": [*UTM_KEYS, *hidden],
        "title": builder_form.name,
    }
    response = render(
        request, "content/form_embed.js", context, content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response
