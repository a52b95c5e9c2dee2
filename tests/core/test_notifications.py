"""The notifications page: unread first, open one (marks it read), mark all read."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from revline.core.models import Notification
from revline.core.notifications import notification_send

from ..conftest import PASSWORD

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_unread_come_first_then_the_newest(client, rep_a):
    old_unread = notification_send(user=rep_a, kind="x", text="Old unread", now=T0)
    read = notification_send(user=rep_a, kind="x", text="Newer read", now=T0 + timedelta(hours=1))
    new_unread = notification_send(
        user=rep_a, kind="x", text="New unread", now=T0 + timedelta(hours=2)
    )
    Notification.objects.filter(pk=read.pk).update(read_at=T0 + timedelta(hours=3))
    client.login(username="rep_a", password=PASSWORD)
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    assert [n.pk for n in response.context["listing"].page] == [
        new_unread.pk,
        old_unread.pk,
        read.pk,
    ]
    assert response.context["unread"] == 2


def test_others_notifications_are_not_listed_or_touched(client, rep_a, rep_b):
    theirs = notification_send(user=rep_b, kind="x", text="For B", url="/leads/queue/", now=T0)
    client.login(username="rep_a", password=PASSWORD)
    assert list(client.get(reverse("notifications")).context["listing"].page) == []
    response = client.post(reverse("notifications_read"), {"open": theirs.pk})
    assert response.status_code == 404
    client.post(reverse("notifications_read"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_one_marks_it_read_and_goes_to_its_page(client, rep_a):
    notice = notification_send(user=rep_a, kind="x", text="New MQL", url="/leads/queue/", now=T0)
    other = notification_send(user=rep_a, kind="x", text="Other", now=T0)
    client.login(username="rep_a", password=PASSWORD)
    response = client.post(reverse("notifications_read"), {"open": notice.pk})
    assert (response.status_code, response["Location"]) == (302, "/leads/queue/")
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read_at is not None and other.read_at is None


def test_mark_all_read_is_post_only(client, rep_a):
    notification_send(user=rep_a, kind="x", text="One", now=T0)
    notification_send(user=rep_a, kind="x", text="Two", now=T0)
    client.login(username="rep_a", password=PASSWORD)
    assert client.get(reverse("notifications_read")).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    response = client.post(reverse("notifications_read"))
    assert response["Location"] == reverse("notifications")
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_a_stored_url_that_is_not_a_local_path_is_never_followed(client, rep_a):
    notice = notification_send(user=rep_a, kind="x", text="Hm", url="/ok/", now=T0)
    Notification.objects.filter(pk=notice.pk).update(url="//evil.example/")
    client.login(username="rep_a", password=PASSWORD)
    response = client.post(reverse("notifications_read"), {"open": notice.pk})
    assert response["Location"] == reverse("notifications")


def test_text_is_escaped(client, rep_a):
    notification_send(user=rep_a, kind="x", text="<script>alert(1)</script>", now=T0)
    client.login(username="rep_a", password=PASSWORD)
    body = client.get(reverse("notifications")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_sidebar_badge_counts_only_the_users_unread_notifications(client, rep_a, rep_b):
    from django.urls import reverse

    from revline.core.notifications import notification_send

    notification_send(user=rep_a, kind="mention", text="One", url="/")
    notification_send(user=rep_a, kind="mention", text="Two", url="/")
    notification_send(user=rep_b, kind="mention", text="Not yours", url="/")
    client.force_login(rep_a)
    page = client.get(reverse("notifications_badge")).content.decode()
    assert '<span class="badge brand">2</span>' in page
    client.force_login(rep_b)
    page = client.get(reverse("notifications_badge")).content.decode()
    assert '<span class="badge brand">1</span>' in page
