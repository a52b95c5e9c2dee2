from django.urls import path

from . import views

app_name = "pr"
urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.media_contact_list, name="media_contacts"),
    path("contacts/new", views.media_contact_create, name="media_contact_create"),
    path("contacts/<int:pk>/", views.media_contact_detail, name="media_contact"),
    path("contacts/<int:pk>/edit", views.media_contact_edit, name="media_contact_edit"),
    path(
        "contacts/<int:pk>/interactions",
        views.media_interaction_create,
        name="media_interaction_create",
    ),
    path("releases/", views.release_list, name="releases"),
    path("releases/new", views.release_create, name="release_create"),
    path("releases/<int:pk>/", views.release_detail, name="release"),
    path("releases/<int:pk>/edit", views.release_edit, name="release_edit"),
    path("releases/<int:pk>/transition", views.release_transition, name="release_transition"),
    path("releases/<int:pk>/distribute", views.release_distribute, name="release_distribute"),
    path("coverage/", views.coverage_list, name="coverage"),
    path("coverage/new", views.coverage_create, name="coverage_create"),
    path("coverage/<int:pk>/edit", views.coverage_edit, name="coverage_edit"),
]
