from django.urls import path

from revline.core.placeholder import todo

app_name = "sales"
urlpatterns = [
    path("deals/", todo, name="deals"),
    path("deals/<int:pk>/", todo, name="deal"),
    path("pipelines/", todo, name="pipelines"),
]
