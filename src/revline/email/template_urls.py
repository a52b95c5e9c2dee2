from django.urls import URLPattern, URLResolver, path

from . import template_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.template_list, name="templates"),
    path("new/", views.template_create, name="template_create"),
    path("blocks/", views.template_blocks, name="template_blocks"),
    path("preview/", views.template_preview, name="template_preview"),
    path("contacts/", views.template_contacts, name="template_contacts"),
    path("test/", views.template_test_send, name="template_test_send"),
    path("<int:pk>/", views.template_edit, name="template_edit"),
    path("<int:pk>/duplicate/", views.template_duplicate, name="template_duplicate"),
    path("<int:pk>/delete/", views.template_delete, name="template_delete"),
]
