from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("settings/webhooks/", views.endpoint_list, name="endpoints"),
    path("settings/webhooks/new/", views.endpoint_create, name="endpoint_create"),
    path("settings/webhooks/dead-letters/", views.dead_letters, name="dead_letters"),
    path("settings/webhooks/dead-letters/replay/", views.replay_all, name="replay_all"),
    path("settings/webhooks/<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("settings/webhooks/<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("settings/webhooks/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("settings/webhooks/<int:pk>/secret/", views.secret_reveal, name="secret_reveal"),
    path("settings/webhooks/<int:pk>/secret/rotate/", views.secret_rotate, name="secret_rotate"),
    path("settings/webhooks/<int:pk>/test/", views.send_test, name="send_test"),
    path("settings/webhooks/deliveries/<int:pk>/replay/", views.delivery_replay, name="replay"),
]
