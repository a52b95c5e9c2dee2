from django.urls import path

from . import public_views, views

app_name = "surveys"
urlpatterns = [
    path("research/surveys/", views.survey_list, name="list"),
    path("research/surveys/new/", views.survey_create, name="create"),
    path("research/surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("research/surveys/<int:pk>/edit/", views.survey_edit, name="edit"),
    path("research/surveys/<int:pk>/preview/", views.survey_preview, name="preview"),
    path("research/surveys/<int:pk>/publish/", views.survey_publish, name="publish"),
    path("research/surveys/<int:pk>/close/", views.survey_close, name="close"),
    path("research/surveys/<int:pk>/distribute/", views.survey_distribute, name="distribute"),
    path("research/surveys/<int:pk>/results/", views.survey_results, name="results"),
    path("research/surveys/<int:pk>/results.csv", views.survey_export, name="export"),
    path("research/surveys/<int:pk>/questions/new/", views.question_add, name="question_add"),
    path(
        "research/surveys/<int:pk>/questions/<int:question_pk>/",
        views.question_edit,
        name="question_edit",
    ),
    path(
        "research/surveys/<int:pk>/questions/<int:question_pk>/move/",
        views.question_move,
        name="question_move",
    ),
    path(
        "research/surveys/<int:pk>/questions/<int:question_pk>/remove/",
        views.question_remove,
        name="question_remove",
    ),
    path("s/<slug:slug>/", public_views.survey_public, name="public"),
    path("s/<slug:slug>/thanks/", public_views.survey_public_thanks, name="public_thanks"),
    path("s/<slug:slug>/embed/", public_views.survey_public_embed, name="public_embed"),
    path(
        "s/<slug:slug>/embed/thanks/",
        public_views.survey_public_embed_thanks,
        name="public_embed_thanks",
    ),
    path("s/<slug:slug>/<str:token>/", public_views.survey_public_invite, name="public_invite"),
]
