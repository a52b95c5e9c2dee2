from django.urls import path

from . import handoff_views as views

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff"),
    path("handoffs/<int:pk>/accept/", views.handoff_accept, name="handoff_accept"),
    path("handoffs/<int:pk>/reject/", views.handoff_reject, name="handoff_reject"),
    path("handoffs/<int:pk>/reassign/", views.handoff_reassign, name="handoff_reassign"),
    path("contacts/<int:pk>/handoff/", views.contact_handoff_panel, name="contact_handoff_panel"),
    path("contacts/<int:pk>/recycle/", views.contact_recycle, name="contact_recycle"),
    path("contacts/<int:pk>/disqualify/", views.contact_disqualify, name="contact_disqualify"),
    path("routing/", views.routing_rules, name="routing"),
    path("routing/new/", views.routing_rule_create, name="routing_create"),
    path("routing/<int:pk>/", views.routing_rule_edit, name="routing_edit"),
    path("routing/<int:pk>/delete/", views.routing_rule_delete, name="routing_delete"),
    path("routing/<int:pk>/move/", views.routing_rule_move, name="routing_move"),
    path("settings/", views.lead_settings, name="lead_settings"),
]
