from django.contrib import admin

from .models import ErasedEmail, PrivacyRequest


@admin.register(ErasedEmail)
class ErasedEmailAdmin(admin.ModelAdmin):
    # Deleting a digest lets the person sign up again (at their own request).
    list_display = ["digest", "erased_at"]
    search_fields = ["digest"]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject_label", "requested_at", "due_at", "status", "completed_at"]
    list_filter = ["kind", "status"]
