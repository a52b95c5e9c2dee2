from django.urls import path

from revline.core.placeholder import todo

app_name = "people"
urlpatterns = [
    path("contacts/", todo, name="contacts"),
    path("contacts/<int:pk>/", todo, name="contact"),
    path("companies/", todo, name="companies"),
    path("companies/<int:pk>/", todo, name="company"),
]
