from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.campaigns.services import campaign_create
from revline.people.services import company_create, contact_create
from revline.sales.services import deal_create


def queries_for(api, path: str) -> int:
    api.get("/me")  # the token's last_used_at write happens once, outside the measurement
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200
    return len(captured)


def add_records(n: int, owner, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        company = company_create(actor=None, name=f"Company {i}", tags=["a", "b"], owner=owner)
        contact = contact_create(
            actor=None, email=f"p{i}@example.com", company=company, owner=owner, tags=["x", "y"]
        )
        deal_create(actor=owner, name=f"Deal {i}", amount=Decimal("10"), contact=contact)
        campaign_create(actor=None, name=f"Campaign {i}", channel="email", owner=owner)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/contacts", "/companies", "/deals", "/campaigns", "/pipelines"])
def test_list_endpoints_run_a_fixed_number_of_queries(api_as, rep_a, path):
    # Given
    api = api_as(rep_a)
    add_records(1, rep_a)
    queries_for(api, path)  # the first request also creates the workspace settings row
    few = queries_for(api, path)
    # When
    add_records(5, rep_a, offset=1)
    # Then
    assert queries_for(api, path) == few
