"""Numbers too big for the database are a 4xx with a reason, never a 500."""

import pytest

from revline.core.services import api_token_issue

BIG = "9" * 30


@pytest.mark.parametrize(
    "url",
    [
        f"/people/contacts/?owner={BIG}",
        f"/people/contacts/?company={BIG}",
        f"/people/companies/?owner={BIG}",
        f"/sales/deals/?owner={BIG}&pipeline={BIG}&stage={BIG}&team={BIG}",
        f"/campaigns/?owner={BIG}",
        f"/pages/?campaign={BIG}",
        f"/sales/deals/new/?contact={BIG}",
        f"/pages/new?campaign={BIG}",
    ],
)
def test_web_pages_never_fail_on_huge_ids(client, admin_user, url):
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/campaigns?owner_id={BIG}",
        f"/api/v1/contacts?owner_id={BIG}",
        f"/api/v1/contacts?company_id={BIG}",
        f"/api/v1/deals?owner_id={BIG}",
        f"/api/v1/contacts/{BIG}",
        f"/api/v1/deals/{BIG}",
    ],
)
def test_api_never_fails_on_huge_ids(client, rep_a, url):
    """SQLite cannot bind such a number (422 with a reason); PostgreSQL compares it and finds
    nothing (an empty list, or 404 for a single record). Never a 500."""
    token = api_token_issue(user=rep_a, name="t").raw

    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code in (200, 404, 422)
    body = response.json()
    if response.status_code == 200:
        assert body["items"] == []
    else:
        assert "detail" in body


def test_api_write_with_a_huge_id_changes_nothing(client, rep_a):
    from revline.sales.models import Deal

    token = api_token_issue(user=rep_a, name="t").raw

    response = client.post(
        "/api/v1/deals",
        {"name": "X", "amount": "1", "contact_id": int(BIG)},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 422
    assert Deal.objects.count() == 0
