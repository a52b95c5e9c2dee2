"""The public survey page: /s/<slug>/ (anonymous), /s/<slug>/<token>/ (a contact's personal
link) and /s/<slug>/embed/ (inside an iframe on the workspace's websites).

Answers are validated by the service; here: the per-IP rate limit, the honeypot, and the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from revline.content import builder_selectors
from revline.content.embed import frame_ancestors, origin_of, post_origin_allowed
from revline.core.ratelimit import client_ip

from . import selectors, services
from .answering import field_name, number_range
from .models import Question, Survey, SurveyInvite, SurveyStatus

HONEYPOT = "website"
PUBLIC_CSP = (
    "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
OVER_LIMIT = "Too many answers from your network. Please wait a minute and try again."


def _over_limit(request: HttpRequest) -> bool:
    return is_ratelimited(
        request,
        group="survey",
        key=lambda _group, req: client_ip(req),
        rate=f"{settings.REVLINE_PUBLIC_RATE_LIMIT}/m",
        increment=True,
    )


def _secure(response: HttpResponse, *, embed: bool = False) -> HttpResponse:
    ancestors = (
        frame_ancestors(builder_selectors.site_origins()) if embed else "frame-ancestors 'none'"
    )
    response["Content-Security-Policy"] = f"{PUBLIC_CSP}; {ancestors}"
    # The personal token is in the address: other sites never see it as a referrer.
    response["Referrer-Policy"] = "same-origin"
    return response


def _survey_or_404(slug: str) -> Survey:
    survey = selectors.survey_public(slug=slug)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def _notice(request: HttpRequest, survey: Survey, message: str, status: int) -> HttpResponse:
    context = {"survey": survey, "message": message}
    return render(request, "surveys/public_notice.html", context, status=status)


SCALE_ENDS = {
    "nps": ("Not at all likely", "Extremely likely"),
    "csat": ("Very unsatisfied", "Very satisfied"),
    "rating": ("Poor", "Excellent"),
}


@dataclass(frozen=True)
class QuestionView:
    question: Question
    name: str  # the form field's name
    scale: list[str]  # the numbers of a scale question
    ends: tuple[str, str]
    chosen: list[str]  # what the respondent posted (shown again after an error)
    error: str


def question_views(
    questions: list[Question], *, values: dict[str, list[str]], errors: dict[str, str]
) -> list[QuestionView]:
    views = []
    for q in questions:
        scale: list[str] = []
        if q.kind in SCALE_ENDS:
            low, high = number_range(q)
            scale = [str(n) for n in range(low, high + 1)]
        views.append(
            QuestionView(
                question=q,
                name=field_name(q),
                scale=scale,
                ends=SCALE_ENDS.get(q.kind, ("", "")),
                chosen=values.get(q.key, []),
                error=errors.get(q.key, ""),
            )
        )
    return views


def logic_map(questions: list[Question]) -> dict[str, object]:
    """What the page's script needs to hide skipped questions (the server decides anyway)."""
    return {
        "order": [q.key for q in questions],
        "kinds": {q.key: q.kind for q in questions},
        "rules": {q.key: q.logic for q in questions if q.logic},
    }


def _page(
    request: HttpRequest,
    survey: Survey,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    embed: bool = False,
    contact_name: str = "",
) -> HttpResponse:
    assert survey.live_version is not None
    errors = errors or {}
    questions = selectors.version_questions(survey.live_version)
    values = (
        {q.key: request.POST.getlist(field_name(q)) for q in questions}
        if request.method == "POST"
        else {}
    )
    context = {
        "survey": survey,
        "questions": question_views(questions, values=values, errors=errors),
        "logic": logic_map(questions),
        "general_error": errors.get("__all__", ""),
        "honeypot": HONEYPOT,
        "embed": embed,
        "contact_name": contact_name,
        "csrf": not embed,
    }
    return render(request, "surveys/public.html", context, status=status)


def _answer(
    request: HttpRequest,
    survey: Survey,
    *,
    invite: SurveyInvite | None,
    thanks_url: str,
    embed: bool = False,
) -> HttpResponse:
    name = invite.contact.first_name if invite is not None else ""
    if survey.status == SurveyStatus.CLOSED:
        return _notice(request, survey, "This survey is closed. Thank you for your interest.", 410)
    if invite is None and not survey.allow_anonymous:
        return _notice(
            request, survey, "This survey is answered through the personal link you received.", 403
        )
    already = invite is not None and invite.responded_at is not None and not survey.allow_repeat
    if request.method == "GET":
        if _over_limit(request):
            return _notice(request, survey, OVER_LIMIT, 429)
        if already:
            return _notice(
                request, survey, "You have answered this survey already. Thank you!", 200
            )
        return _page(request, survey, embed=embed, contact_name=name)
    if _over_limit(request):
        return _page(request, survey, errors={"__all__": OVER_LIMIT}, status=429, embed=embed)
    if request.POST.get(HONEYPOT):
        return _page(request, survey, errors={"__all__": "Your answers could not be saved."},
                     status=400, embed=embed)  # fmt: skip
    assert survey.live_version is not None
    try:
        services.response_submit(
            survey=survey,
            version=survey.live_version,
            get_list=request.POST.getlist,
            invite=invite,
            ip_address=client_ip(request),
        )
    except services.AlreadyAnswered:
        return _notice(request, survey, "You have answered this survey already. Thank you!", 409)
    except ValidationError as exc:
        errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        if len(errors) > 1 or "__all__" not in errors:
            errors.setdefault("__all__", "Please check the answers marked below.")
        return _page(request, survey, errors=errors, status=400, embed=embed, contact_name=name)
    return redirect(thanks_url)


@never_cache
@require_http_methods(["GET", "POST"])
def survey_public(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_404(slug)
    thanks = reverse("surveys:public_thanks", kwargs={"slug": slug})
    return _secure(_answer(request, survey, invite=None, thanks_url=thanks))


@never_cache
@require_http_methods(["GET", "POST"])
def survey_public_invite(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    survey = _survey_or_404(slug)
    invite = selectors.invite_by_token(survey=survey, token=token)
    if invite is None:
        raise Http404("This link is not valid.")
    thanks = reverse("surveys:public_thanks", kwargs={"slug": slug})
    return _secure(_answer(request, survey, invite=invite, thanks_url=thanks))


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def survey_public_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The anonymous survey inside an iframe on another site. A cross-site frame carries no CSRF
    cookie, so, as for embedded forms, the Origin/Referer check (once the workspace lists its
    site origins), the honeypot and the rate limit stand in for it."""
    survey = _survey_or_404(slug)
    if request.method == "POST":
        own = frozenset(
            o
            for o in (origin_of(settings.BASE_URL), origin_of(request.build_absolute_uri("/")))
            if o
        )
        if not post_origin_allowed(
            origin=request.META.get("HTTP_ORIGIN", ""),
            referer=request.META.get("HTTP_REFERER", ""),
            allowed=builder_selectors.site_origins(),
            own=own,
        ):
            return HttpResponse(
                "This survey only accepts answers from the websites it is embedded on.",
                status=403,
                content_type="text/plain",
            )
    thanks = reverse("surveys:public_embed_thanks", kwargs={"slug": slug})
    return _secure(_answer(request, survey, invite=None, thanks_url=thanks, embed=True), embed=True)


@require_GET
def survey_public_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_404(slug)
    context = {"survey": survey, "message": survey.thank_you or "Thank you for your answers!"}
    return _secure(render(request, "surveys/public_notice.html", context))


@xframe_options_exempt
@require_GET
def survey_public_embed_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_404(slug)
    context = {
        "survey": survey,
        "message": survey.thank_you or "Thank you for your answers!",
        "embed": True,
    }
    return _secure(render(request, "surveys/public_notice.html", context), embed=True)
