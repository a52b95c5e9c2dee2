from django.urls import path

from revline.core.placeholder import todo

app_name = "campaigns"
urlpatterns = [
    path("", todo, name="list"),
    path("<int:pk>/", todo, name="detail"),
]
