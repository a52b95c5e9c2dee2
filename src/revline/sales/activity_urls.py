from django.urls import path

from . import activity_views, playbook_views

urlpatterns = [
    path("my-day/", activity_views.my_day, name="my_day"),
    path(
        "deals/<int:pk>/activities/panel/",
        activity_views.deal_activities_panel,
        name="deal_activities_panel",
    ),
    path(
        "contacts/<int:pk>/activities/",
        activity_views.contact_activities_panel,
        name="contact_activities_panel",
    ),
    path(
        "companies/<int:pk>/activities/",
        activity_views.company_activities_panel,
        name="company_activities_panel",
    ),
    path(
        "activities/<int:pk>/complete/", activity_views.activity_complete, name="activity_complete"
    ),
    path("activities/<int:pk>/reopen/", activity_views.activity_reopen, name="activity_reopen"),
    path("activities/<int:pk>/edit/", activity_views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/delete/", activity_views.activity_delete, name="activity_delete"),
    path("pipelines/<int:pk>/playbooks/", playbook_views.playbooks, name="playbooks"),
    path(
        "deals/<int:pk>/playbook/", playbook_views.deal_playbook_panel, name="deal_playbook_panel"
    ),
    path(
        "deals/<int:pk>/playbook/items/<int:item_pk>/tick/",
        playbook_views.playbook_tick,
        name="playbook_tick",
    ),
    path(
        "deals/<int:pk>/playbook/share/",
        playbook_views.deal_share_content,
        name="deal_share_content",
    ),
]
