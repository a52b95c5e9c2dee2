from django.urls import path

from . import views

app_name = "research"
urlpatterns = [
    path("research/personas/", views.persona_list, name="personas"),
    path("research/personas/new/", views.persona_create, name="persona_create"),
    path("research/personas/<int:pk>/", views.persona_detail, name="persona_detail"),
    path("research/personas/<int:pk>/edit/", views.persona_edit, name="persona_edit"),
    path("research/personas/<int:pk>/delete/", views.persona_delete, name="persona_delete"),
    path("research/notes/", views.note_list, name="notes"),
    path("research/notes/new/", views.note_create, name="note_create"),
    path("research/notes/<int:pk>/", views.note_detail, name="note_detail"),
    path("research/notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("research/notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
    path("research/insights/", views.market_insights, name="insights"),
]
