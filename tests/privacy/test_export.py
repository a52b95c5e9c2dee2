"""The data-subject archive: one zip of JSON files with every kind of record about the person."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from revline.people.models import Contact
from revline.privacy import export
from revline.privacy.models import PrivacyRequest, RequestStatus
from revline.privacy.services import export_request_create, export_request_fulfil
from tests.conftest import PASSWORD

from .factories import EMAIL, FIRST, make_person

# Every archive file and how many rows the person of make_person() has in it.
EXPECTED = {
    "consent_history": 1,
    "timeline_events": 2,  # the note and the consent change
    "lifecycle_history": 1,
    "visitors": 1,
    "touchpoints": 2,
    "form_submissions": 1,
    "email_sends": 1,
    "email_clicks": 1,
    "email_delivery_events": 1,
    "email_topic_opt_outs": 1,
    "email_sequence_enrollments": 1,
    "score_changes": 1,
    "handoffs": 1,
    "deals": 2,
    "deal_committee_roles": 1,
    "deal_stage_history": 1,
    "deal_objections": 1,
    "activities_and_notes": 1,
    "meetings": 1,
    "content_shared": 1,
    "orders": 1,
    "quotes_sent": 1,
    "survey_invites": 1,
    "survey_responses": 1,
    "survey_answers": 1,
    "feedback_items": 1,
    "experiment_exposures": 1,
    "privacy_requests": 1,
}


def _relations_to_contact() -> set[str]:
    labels = set()
    for rel in Contact._meta.get_fields():
        if rel.is_relation and rel.auto_created and rel.related_model is not None:
            labels.add(rel.related_model._meta.label)
    return labels


def test_every_model_pointing_at_contact_is_exported_or_excluded_with_a_reason():
    # Given every model with a foreign key or many-to-many to Contact
    related = _relations_to_contact()
    # Then each is read by the archive or listed as left out, with its reason
    exported = {source.model._meta.label for source in export.EXPORTED}
    missing = related - exported - set(export.NOT_EXPORTED)
    assert missing == set(), f"Add these to privacy/export.py EXPORTED or NOT_EXPORTED: {missing}"
    assert all(reason.strip() for reason in export.NOT_EXPORTED.values())


def test_the_archive_holds_the_profile_and_each_kind_of_record(admin_user):
    # Given a contact with one record of every kind
    person = make_person(admin_user)
    request = export_request_create(actor=admin_user, contact=person.contact)

    # When the admin fulfils the export request
    out = io.BytesIO()
    counts = export_request_fulfil(actor=admin_user, request=request, out=out)

    # Then every file is there with the person's records, and the request is completed
    assert counts == EXPECTED
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    names = set(archive.namelist())
    assert names == {"profile.json", "manifest.json", *(f"{n}.json" for n in EXPECTED)}
    profile = json.loads(archive.read("profile.json"))
    assert (profile["email"], profile["first_name"]) == (EMAIL, FIRST)
    assert profile["tags"] == ["vip"]
    assert profile["company"]["name"] == "Umbrella Labs"
    answers = json.loads(archive.read("survey_answers.json"))
    assert [(a["question__label"], a["text"]) for a in answers] == [("Why?", "Great support")]
    deals = json.loads(archive.read("deals.json"))
    assert sorted(d["id"] for d in deals) == sorted([person.deal.pk, person.other_deal.pk])
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.completed_at is not None


def test_the_archive_reads_one_query_per_kind_of_record(admin_user, django_assert_max_num_queries):
    person = make_person(admin_user)
    request = export_request_create(actor=admin_user, contact=person.contact)
    # profile (contact+company, tags) + one per file + the request's completion
    with django_assert_max_num_queries(len(EXPECTED) + 6):
        export_request_fulfil(actor=admin_user, request=request, out=io.BytesIO())


def test_the_admin_downloads_the_archive_from_the_request_page(client, admin_user):
    person = make_person(admin_user)
    client.login(username="admin", password=PASSWORD)

    response = client.post(
        reverse("privacy:contact_export", args=[person.contact.pk]), {"received_via": "email"}
    )
    request = PrivacyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:request", args=[request.pk])
    assert request.status == RequestStatus.OPEN

    download = client.post(reverse("privacy:download", args=[request.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "profile.json" in archive.namelist()


@pytest.mark.parametrize("who", ["rep_a", "marketer"])
def test_only_admins_export(client, admin_user, rep_a, marketer, who):
    person = make_person(admin_user)
    request = export_request_create(actor=admin_user, contact=person.contact)
    client.login(username=who, password=PASSWORD)

    started = client.post(
        reverse("privacy:contact_export", args=[person.contact.pk]), {"received_via": "email"}
    )
    downloaded = client.post(reverse("privacy:download", args=[request.pk]))

    assert (started.status_code, downloaded.status_code) == (403, 403)
    assert PrivacyRequest.objects.count() == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_a_download_is_never_a_get(client, admin_user):
    person = make_person(admin_user)
    request = export_request_create(actor=admin_user, contact=person.contact)
    client.login(username="admin", password=PASSWORD)
    assert client.get(reverse("privacy:download", args=[request.pk])).status_code == 405
