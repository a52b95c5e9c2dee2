"""The segment pages: list, detail, builder with live count, export, and who may do what."""

import csv
import io

import pytest
from django.urls import reverse

from revline.segments.models import Segment
from revline.segments.services import segment_create

VIP = {"match": "all", "conditions": [{"type": "tag", "tag": "vip"}]}


@pytest.fixture
def vip_segment(world) -> Segment:
    return segment_create(actor=None, name="VIPs", definition=VIP, description="Our best")


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_list_shows_live_count_for_every_role(client, rep_a, vip_segment):
    response = login(client, rep_a).get(reverse("segments:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "VIPs" in html
    assert 'data-col="count">1<' in html
    assert "New segment" not in html  # reps read, they do not build


@pytest.mark.django_db
def test_list_search_and_empty_state(client, marketer, vip_segment):
    html = login(client, marketer).get(reverse("segments:list"), {"q": "nobody"}).content.decode()
    assert "No segments match “nobody”" in html


@pytest.mark.django_db
def test_detail_shows_words_count_and_members(client, rep_a, world, vip_segment):
    response = login(client, rep_a).get(reverse("segments:detail", args=[vip_segment.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Has the tag “vip”" in html
    assert reverse("people:contact", args=[world.ada.pk]) in html
    assert reverse("people:contact", args=[world.bob.pk]) not in html
    assert reverse("segments:export", args=[vip_segment.pk]) in html


@pytest.mark.django_db
def test_builder_page_creates_a_segment_from_rows(client, marketer, world):
    login(client, marketer)
    assert client.get(reverse("segments:create")).status_code == 200
    response = client.post(
        reverse("segments:create"),
        {
            "name": "Hot French or VIP",
            "match": "any",
            "c0-subject": "tag", "c0-negate": "0", "c0-value": "vip",
            "g1-match": "all",
            "c1.0-subject": "field:country", "c1.0-op": "eq", "c1.0-value": "fr",
            "c1.1-subject": "page_visits", "c1.1-negate": "0", "c1.1-value": "/pricing",
            "c1.1-min_count": "2", "c1.1-days": "30",
        },
    )  # fmt: skip
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.definition == {
        "match": "any",
        "conditions": [
            {"type": "tag", "tag": "vip", "negate": False},
            {"match": "all", "conditions": [
                {"type": "field", "field": "country", "op": "eq", "value": "FR"},
                {"type": "page_visits", "url_contains": "/pricing", "min_count": 2, "days": 30,
                 "negate": False},
            ]},
        ],
    }  # fmt: skip


@pytest.mark.django_db
def test_bad_rows_are_marked_inline_and_nothing_is_saved(client, marketer, world):
    response = login(client, marketer).post(
        reverse("segments:create"),
        {"name": "Broken", "match": "all", "c0-subject": "field:country", "c0-op": "eq",
         "c0-value": "Germany"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "Condition 1 (Country): “GERMANY” is not a two-letter country code." in html
    assert 'class="seg-row has-error"' in html
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_add_and_remove_rows_render_the_builder_and_save_nothing(client, marketer, world):
    login(client, marketer)
    rows = {"match": "all", "c0-subject": "tag", "c0-value": "vip"}
    added = client.post(reverse("segments:builder"), {**rows, "action": "group:"})
    html = added.content.decode()
    assert added.status_code == 200
    assert added["HX-Trigger"] == "segment-changed"
    assert 'name="g1-match"' in html and 'name="c1.0-subject"' in html
    removed = client.post(reverse("segments:builder"), {**rows, "action": "remove:0"})
    assert 'name="c0-subject"' not in removed.content.decode()
    # Without JavaScript the same buttons post the page itself: shown again, not saved.
    page = client.post(reverse("segments:create"), {**rows, "name": "X", "action": "add:"})
    assert page.status_code == 200
    assert 'name="c1-subject"' in page.content.decode()
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_changing_the_subject_offers_its_operators(client, marketer, world):
    login(client, marketer)
    html = client.post(
        reverse("segments:builder"), {"c0-subject": "field:fit_score", "c0-op": "eq"}
    ).content.decode()
    assert '<option value="gte">is at least</option>' in html
    assert 'type="number" name="c0-value"' in html


@pytest.mark.django_db
def test_live_count_follows_the_conditions(client, rep_a, world):
    login(client, rep_a)
    url = reverse("segments:live_count")
    counted = client.post(url, {"match": "any", "c0-subject": "tag", "c0-value": "vip",
                                "c1-subject": "field:country", "c1-op": "eq", "c1-value": "FR"})  # fmt: skip
    assert 'data-count="2"' in counted.content.decode()
    incomplete = client.post(url, {"c0-subject": "tag", "c0-value": ""})
    assert "Condition 1 (Tag): enter a tag." in incomplete.content.decode()


@pytest.mark.django_db
def test_sales_rep_cannot_build_edit_or_delete(client, rep_a, vip_segment):
    login(client, rep_a)
    assert client.get(reverse("segments:create")).status_code == 403
    assert client.post(reverse("segments:create"), {"name": "x"}).status_code == 403
    assert client.get(reverse("segments:edit", args=[vip_segment.pk])).status_code == 403
    assert client.post(reverse("segments:builder"), {}).status_code == 403
    assert client.post(reverse("segments:delete", args=[vip_segment.pk])).status_code == 403
    assert Segment.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client, vip_segment):
    response = client.get(reverse("segments:detail", args=[vip_segment.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"]


@pytest.mark.django_db
def test_edit_shows_the_stored_rows_and_saves_changes(client, marketer, vip_segment):
    login(client, marketer)
    html = client.get(reverse("segments:edit", args=[vip_segment.pk])).content.decode()
    assert 'name="c0-value" value="vip"' in html
    response = client.post(
        reverse("segments:edit", args=[vip_segment.pk]),
        {"name": "VIPs", "match": "all", "c0-subject": "tag", "c0-negate": "1", "c0-value": "vip"},
    )
    assert response.status_code == 302
    vip_segment.refresh_from_db()
    assert vip_segment.definition["conditions"] == [{"type": "tag", "tag": "vip", "negate": True}]


@pytest.mark.django_db
def test_delete_refused_while_an_email_uses_it(client, marketer, vip_segment):
    from revline.email.models import Email

    Email.objects.create(name="June", segment=vip_segment)
    login(client, marketer)
    response = client.post(reverse("segments:delete", args=[vip_segment.pk]), follow=True)
    assert "This segment is the audience of 1 email (“June”)" in response.content.decode()
    assert Segment.objects.count() == 1


@pytest.mark.django_db
def test_delete_requires_post(client, marketer, vip_segment):
    login(client, marketer)
    assert client.get(reverse("segments:delete", args=[vip_segment.pk])).status_code == 405
    assert client.post(reverse("segments:delete", args=[vip_segment.pk])).status_code == 302
    assert Segment.objects.count() == 0


@pytest.mark.django_db
def test_export_streams_the_members_as_csv(client, rep_a, world, vip_segment):
    world.ada.first_name = "=HYPERLINK(1)"
    world.ada.save()
    response = login(client, rep_a).get(reverse("segments:export", args=[vip_segment.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [row[rows[0].index("email")] for row in rows[1:]] == ["ada@acme.example"]
    assert rows[1][rows[0].index("first_name")] == "'=HYPERLINK(1)"
    assert f"segment-{vip_segment.pk}.csv" in response["Content-Disposition"]
