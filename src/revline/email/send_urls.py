"""Campaign emails: the email section's home (/email/), the editor, the report and actions."""

from django.urls import URLPattern, URLResolver, path

from . import send_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.email_list, name="emails"),
    path("new", views.email_create, name="email_create"),
    path("<int:pk>/", views.email_detail, name="email_detail"),
    path("<int:pk>/edit", views.email_edit, name="email_edit"),
    path("<int:pk>/progress", views.email_progress, name="email_progress"),
    path("<int:pk>/send", views.email_send_now, name="email_send_now"),
    path("<int:pk>/schedule", views.email_schedule, name="email_schedule"),
    path("<int:pk>/cancel", views.email_cancel, name="email_cancel"),
    path("<int:pk>/test", views.email_send_test, name="email_send_test"),
]
