"""Log-in (password, then an authenticator code when two-factor is on) and the page where a
user turns two-factor authentication on and off."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import account_security, twofactor_services
from .models import User
from .ratelimit import client_ip
from .twofactor_forms import CodeForm, DisableForm

PENDING_KEY = "revline_2fa_pending"
PENDING_SECONDS = 300


def _locked_response(
    request: HttpRequest, template: str, context: dict[str, Any], seconds: int
) -> HttpResponse:
    context = {**context, "locked_message": account_security.lock_message(seconds)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class LoginView(auth_views.LoginView):
    """Django's log-in with the lockout in front and the second step behind it."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        ip = client_ip(request)
        if seconds := account_security.login_lock_remaining(username=username, ip=ip):
            account_security.login_refused_record(username=username, ip=ip, seconds=seconds)
            return self._locked(username, seconds)
        return super().post(request, *args, **kwargs)

    def _locked(self, username: str, seconds: int) -> HttpResponse:
        form = self.get_form_class()(self.request, initial={"username": username})
        context = self.get_context_data(form=form)
        return _locked_response(self.request, str(self.template_name), context, seconds)

    def form_invalid(self, form: Any) -> HttpResponse:
        username = self.request.POST.get("username", "")
        seconds = account_security.login_failure_record(
            username=username, ip=client_ip(self.request), stage="password"
        )
        if seconds:
            return self._locked(username, seconds)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if twofactor_services.twofactor_enabled(user=user):
            # Not signed in yet, and the account's failure count is kept: a guesser who knows
            # the password must not get fresh attempts at the code.
            self.request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "backend": user.backend,
                "next": self.get_success_url(),
                "started": timezone.now().timestamp(),
            }
            return redirect("login_verify")
        account_security.login_success_record(
            username=user.get_username(), ip=client_ip(self.request)
        )
        return super().form_valid(form)


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if timezone.now().timestamp() - float(pending.get("started", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = pending.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    return user, pending


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    found = _pending_user(request)
    if found is None:
        messages.error(request, "Your sign-in has expired. Please sign in again.")
        return redirect("login")
    user, pending = found
    template = "registration/login_verify.html"
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        username, ip = user.get_username(), client_ip(request)
        if seconds := account_security.login_lock_remaining(username=username, ip=ip):
            account_security.login_refused_record(username=username, ip=ip, seconds=seconds)
            return _locked_response(request, template, {"form": CodeForm()}, seconds)
        if form.is_valid() and twofactor_services.twofactor_verify(
            user=user, code=form.cleaned_data["code"]
        ):
            login(request, user, backend=pending["backend"])
            request.session.pop(PENDING_KEY, None)
            account_security.login_success_record(username=username, ip=ip)
            next_url = pending.get("next") or "/"
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = "/"
            return redirect(next_url)
        seconds = account_security.login_failure_record(username=username, ip=ip, stage="code")
        if seconds:
            return _locked_response(request, template, {"form": CodeForm()}, seconds)
        if form.is_valid():
            form.add_error("code", "That code is not valid.")
    return render(request, template, {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    action = request.POST.get("action", "")
    confirm_form = CodeForm(request.POST if action == "confirm" else None)
    disable_form = DisableForm(request.POST if action == "disable" else None)
    recovery_codes: list[str] = []
    if request.method == "POST":
        try:
            if action == "begin":
                twofactor_services.twofactor_begin(user=user)
                return redirect("account_security")
            if action == "confirm" and confirm_form.is_valid():
                recovery_codes = twofactor_services.twofactor_confirm(
                    user=user, code=confirm_form.cleaned_data["code"]
                )
            elif action == "disable" and disable_form.is_valid():
                twofactor_services.twofactor_disable(user=user, **disable_form.cleaned_data)
                messages.success(request, "Two-factor authentication is off.")
                return redirect("account_security")
        except ValidationError as exc:
            form = confirm_form if action == "confirm" else disable_form
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                form.add_error("code", exc.messages)
    device = twofactor_services.twofactor_device_get(user=user)
    context: dict[str, Any] = {
        "device": device,
        "enabled": device is not None and device.confirmed_at is not None,
        "confirm_form": confirm_form,
        "disable_form": disable_form,
        "recovery_codes": recovery_codes,
    }
    if device is not None and device.confirmed_at is None:
        context["otpauth_uri"] = twofactor_services.twofactor_provisioning_uri(device=device)
        context["qr_data_uri"] = twofactor_services.twofactor_qr_svg_data_uri(device=device)
    return render(request, "core/account_security.html", context)
