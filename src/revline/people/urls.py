from django.urls import path

from . import import_views, views

app_name = "people"
urlpatterns = [
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/export.csv", import_views.contacts_export, name="contacts_export"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/notes/", views.contact_note, name="contact_note"),
    path("companies/", views.companies, name="companies"),
    path("companies/export.csv", import_views.companies_export, name="companies_export"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("imports/", import_views.imports, name="imports"),
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/<int:pk>/", import_views.import_detail, name="import"),
    path("imports/<int:pk>/mapping/", import_views.import_configure, name="import_configure"),
    path("imports/<int:pk>/start/", import_views.import_start, name="import_start"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/bad-rows.csv", import_views.import_bad_rows, name="import_bad_rows"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
]
