from django.contrib.auth import views as auth_views
from django.urls import path

from . import notification_views, twofactor_views, views, workspace_views
from .account_security import BackgroundPasswordResetForm
from .ratelimit import public_rate_limit

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        public_rate_limit("login")(twofactor_views.LoginView.as_view()),
        name="login",
    ),
    path(
        "login/verify/",
        public_rate_limit("login")(twofactor_views.login_verify),
        name="login_verify",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        public_rate_limit("password_reset")(
            auth_views.PasswordResetView.as_view(form_class=BackgroundPasswordResetForm)
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path(
        "notifications/badge/", notification_views.notifications_badge, name="notifications_badge"
    ),
    path("settings/security/", twofactor_views.security, name="account_security"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("settings/users/", views.users, name="users"),
    path("settings/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("settings/workspace/", workspace_views.workspace_settings, name="workspace_settings"),
    path(
        "settings/workspace/visibility",
        workspace_views.workspace_visibility_view,
        name="workspace_visibility",
    ),
    path(
        "settings/workspace/resume-sending",
        workspace_views.workspace_outbound_resume_view,
        name="workspace_outbound_resume",
    ),
]
