from django.urls import URLPattern, URLResolver, path

from . import delivery_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("suppressions/", delivery_views.suppression_list, name="suppressions"),
    path("suppressions/add", delivery_views.suppression_add, name="suppression_add"),
    path("suppressions/export.csv", delivery_views.suppression_export, name="suppression_export"),
    path(
        "suppressions/<int:pk>/remove",
        delivery_views.suppression_remove,
        name="suppression_remove",
    ),
    path("topics/", delivery_views.topic_list, name="topics"),
    path("topics/<int:pk>/edit", delivery_views.topic_edit, name="topic_edit"),
    path("topics/<int:pk>/delete", delivery_views.topic_delete, name="topic_delete"),
]
