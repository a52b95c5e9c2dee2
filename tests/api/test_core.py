import json

import pytest

from revline.core.models import ApiToken
from revline.core.services import api_token_issue, api_token_revoke
from revline.people.models import Contact

from .conftest import ApiClient


@pytest.mark.django_db
def test_me_describes_the_token_owner(api_as, rep_a, team_a):
    # When
    response = api_as(rep_a).get("/me")
    # Then
    assert response.status_code == 200
    assert response.json() == {
        "id": rep_a.pk,
        "username": "rep_a",
        "email": "rep_a@example.com",
        "first_name": "Rep_A",
        "last_name": "",
        "role": "sales_rep",
        "team": {"id": team_a.pk, "name": "Team A"},
        "is_admin": False,
        "can_manage_marketing": False,
        "can_create_deals": True,
    }


@pytest.mark.django_db
def test_me_of_an_admin_without_team(api_as, admin_user):
    body = api_as(admin_user).get("/me").json()
    assert (body["role"], body["team"], body["is_admin"], body["can_manage_marketing"]) == (
        "admin",
        None,
        True,
        True,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer rl_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Basic dXNlcjpwYXNz",
        "Token rl_abc",
    ],
)
def test_missing_or_invalid_token_is_401(client, header):
    # Given
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    # When
    response = client.get("/api/v1/contacts", **headers)
    # Then
    assert response.status_code == 401
    assert response.json() == {
        "detail": "A valid API token is required: send 'Authorization: Bearer <token>'."
    }
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.django_db
def test_revoked_token_is_401_and_writes_nothing(rep_a):
    # Given
    issued = api_token_issue(user=rep_a, name="script")
    api_token_revoke(actor=rep_a, token=issued.token)
    api = ApiClient(issued.raw)
    # When
    response = api.post("/contacts", {"email": "new@example.com"})
    # Then
    assert response.status_code == 401
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_token_of_a_deactivated_user_is_401(api_as, rep_a):
    api = api_as(rep_a)
    rep_a.is_active = False
    rep_a.save()
    assert api.get("/me").status_code == 401


@pytest.mark.django_db
def test_session_login_alone_does_not_open_the_api(client, rep_a):
    client.force_login(rep_a)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_using_a_token_records_when_it_was_last_used(api_as, rep_a):
    api_as(rep_a).get("/me")
    assert ApiToken.objects.get(user=rep_a).last_used_at is not None


@pytest.mark.django_db
def test_malformed_json_is_400_and_writes_nothing(api_as, marketer):
    # When
    response = api_as(marketer).post("/contacts", '{"email": "a@example.com",')
    # Then
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_422(api_as, marketer):
    response = api_as(marketer).post("/contacts", "[1, 2]")
    assert response.status_code == 422
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_body_is_422_naming_the_payload(api_as, marketer):
    response = api_as(marketer).post("/contacts", b"")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload"]
    assert response.json()["detail"][0]["type"] == "missing"


@pytest.mark.django_db
def test_unsupported_method_is_405(api_as, marketer):
    api = api_as(marketer)
    response = api.client.put(
        "/api/v1/contacts", data="{}", content_type="application/json", **api.headers
    )
    assert response.status_code == 405


@pytest.mark.django_db
def test_unknown_path_is_404(api_as, marketer):
    assert api_as(marketer).get("/nothing-here").status_code == 404


# Every entity the pages show, by its collection and item path: listed and created on the
# first, read, updated and deleted on the second. Entities the pages only show (orders,
# meetings, audit entries, tokens) or that are singletons (workspace, lead settings) are
# checked for what the pages offer.
CRUD_ROUTES = {
    "/contacts": "/contacts/{contact_id}",
    "/companies": "/companies/{company_id}",
    "/campaigns": "/campaigns/{campaign_id}",
    "/campaigns/{campaign_id}/links": "/campaigns/{campaign_id}/links/{link_id}",
    "/content/items": "/content/items/{item_id}",
    "/content/landing-pages": "/content/landing-pages/{page_id}",
    "/content/forms": "/content/forms/{form_id}",
    "/pr/media-contacts": "/pr/media-contacts/{contact_id}",
    "/pr/releases": "/pr/releases/{release_id}",
    "/pr/coverage": "/pr/coverage/{coverage_id}",
    "/email/templates": "/email/templates/{template_id}",
    "/emails": "/emails/{email_id}",
    "/sequences": "/sequences/{sequence_id}",
    "/email/topics": "/email/topics/{topic_id}",
    "/segments": "/segments/{segment_id}",
    "/deals": "/deals/{deal_id}",
    "/pipelines": "/pipelines/{pipeline_id}",
    "/close-reasons": "/close-reasons/{reason_id}",
    "/competitors": "/competitors/{competitor_id}",
    "/activities": "/activities/{activity_id}",
    "/objection-types": "/objection-types/{objection_type_id}",
    "/objections": "/objections/{objection_id}",
    "/booking-availability": "/booking-availability/{booking_availability_id}",
    "/quotas": "/quotas/{quota_id}",
    "/products": "/products/{product_id}",
    "/price-books": "/price-books/{book_id}",
    "/exchange-rates": "/exchange-rates/{rate_id}",
    "/routing-rules": "/routing-rules/{rule_id}",
    "/experiments": "/experiments/{experiment_id}",
    "/surveys": "/surveys/{survey_id}",
    "/personas": "/personas/{persona_id}",
    "/research-notes": "/research-notes/{note_id}",
    "/feedback": "/feedback/{feedback_item_id}",
    "/users": "/users/{user_id}",
    "/teams": "/teams/{team_id}",
    "/webhooks/endpoints": "/webhooks/endpoints/{endpoint_id}",
}
READ_ROUTES = {
    "/orders": "/orders/{order_id}",
    "/meetings": "/meetings/{meeting_id}",
    "/audit-entries": "/audit-entries/{audit_entry_id}",
    "/tokens": "/tokens/{api_token_id}",
    "/handoffs": "/handoffs/{handoff_id}",
    "/imports": "/imports/{import_id}",
    "/privacy-requests": "/privacy-requests/{privacy_request_id}",
    "/touchpoints": "/touchpoints/{touchpoint_id}",
}


@pytest.mark.django_db
def test_openapi_document_covers_every_entity(client):
    # When: the schema is public, so that tools can read it before holding a token
    response = client.get("/api/v1/openapi.json")
    # Then
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Revline API"
    paths = {path.removeprefix("/api/v1"): set(ops) for path, ops in schema["paths"].items()}
    for collection, item in CRUD_ROUTES.items():
        assert {"get", "post"} <= paths.get(collection, set()), collection
        assert {"get", "patch", "delete"} <= paths.get(item, set()), item
    for collection, item in READ_ROUTES.items():
        assert "get" in paths.get(collection, set()), collection
        assert "get" in paths.get(item, set()), item
    assert {"get", "patch"} <= paths["/workspace"]
    # Deal files and links: added (JSON link or multipart upload), listed, downloaded, deleted.
    assert {"get", "post"} <= paths["/deals/{deal_id}/attachments"]
    assert {"post"} <= paths["/deals/{deal_id}/attachments/upload"]
    assert {"delete"} <= paths["/deals/{deal_id}/attachments/{attachment_id}"]
    assert {"get"} <= paths["/deals/{deal_id}/attachments/{attachment_id}/file"]
    # The weekly digest: the caller's own, and everyone's for admins.
    assert {"get", "put", "delete"} <= paths["/me/digest"]
    assert {"get"} <= paths["/digest-subscriptions"]
    assert {"put", "delete"} <= paths["/digest-subscriptions/{user_id}"]
    assert {"get", "patch"} <= paths["/lead-settings"]
    assert schema["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"}
    }


@pytest.mark.django_db
def test_openapi_input_schemas_leave_out_server_fields(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("ContactIn", "ContactPatch", "CompanyIn", "DealIn", "DealPatch", "CampaignIn"):
        assert {"id", "created_at", "updated_at", "lifecycle_stage"}.isdisjoint(
            schemas[name]["properties"]
        ), name
    assert schemas["ContactIn"]["additionalProperties"] is False
    assert schemas["ContactOut"]["properties"]["lifecycle_stage"]["$ref"].endswith(
        "/LifecycleStage"
    )


@pytest.mark.django_db
def test_docs_page_renders(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
