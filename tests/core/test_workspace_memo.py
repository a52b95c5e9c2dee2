"""The workspace row is read once per web request, and a save within the request is seen."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.core.models import Workspace
from revline.core.workspace import workspace_get, workspace_memo
from revline.sales.services import deal_create, pipeline_default


def _workspace_reads(queries) -> int:
    return sum('FROM "core_workspace"' in q["sql"] for q in queries)


@pytest.mark.django_db
def test_within_the_memo_the_row_is_read_once():
    workspace_get()
    with workspace_memo(), CaptureQueriesContext(connection) as queries:
        first = workspace_get()
        second = workspace_get()
    assert first is second
    assert _workspace_reads(queries) == 1


@pytest.mark.django_db
def test_outside_a_request_every_call_reads_the_database():
    workspace_get()
    with CaptureQueriesContext(connection) as queries:
        workspace_get()
        workspace_get()
    assert _workspace_reads(queries) == 2


@pytest.mark.django_db
def test_a_save_within_the_request_is_seen_by_later_reads():
    with workspace_memo():
        assert workspace_get().contact_visibility == "all"
        row = Workspace.objects.get(pk=workspace_get().pk)
        row.contact_visibility = "own"
        row.save()
        assert workspace_get().contact_visibility == "own"


@pytest.mark.django_db
def test_a_page_reads_the_workspace_once(client, rep_a):
    # Given a rep's deal on a board that checks record visibility several times
    pipeline_default()
    deal_create(actor=None, owner=rep_a, name="Memo deal", amount=Decimal("10"))
    client.force_login(rep_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/sales/board/")
    assert response.status_code == 200
    assert "Memo deal" in response.content.decode()
    assert _workspace_reads(queries) == 1
