from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("privacy/requests/", views.request_list, name="requests"),
    path("privacy/requests/<int:pk>/", views.request_detail, name="request"),
    path("privacy/requests/<int:pk>/archive/", views.request_download, name="download"),
    path("privacy/contacts/<int:pk>/export/", views.contact_export, name="contact_export"),
    path("privacy/contacts/<int:pk>/objection/", views.contact_objection, name="contact_objection"),
    path("privacy/contacts/<int:pk>/erase/", views.contact_erase, name="contact_erase"),
]
