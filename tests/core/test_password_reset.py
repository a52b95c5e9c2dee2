"""Password reset by email, delivered through a real SMTP server (aiosmtpd on loopback)."""

import re
from collections.abc import Iterator

import pytest

from tests.smtp import SmtpSink, smtp_sink, use_smtp_sink

from ..conftest import PASSWORD

NEW_PASSWORD = "violet-lantern-harbour-42"
RESET_LINK = re.compile(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        yield sink


def test_reset_link_arrives_by_email_and_sets_a_new_password(client, rep_a, smtp):
    # When the user asks for a reset (the address is matched case-insensitively)
    response = client.post("/password-reset/", {"email": "REP_A@example.com"})

    # Then one real message arrives with a link to choose a new password
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["rep_a@example.com"]
    assert mail.message["To"] == "rep_a@example.com"
    assert mail.message["Subject"] == "Reset your Revline password"
    assert mail.message["From"] == "Revline <noreply@revline.local>"
    assert mail.text.startswith("Hello Rep_A,\n")
    links = RESET_LINK.findall(mail.text)
    assert len(links) == 1

    # When they open the link, Django moves the token out of the URL into the session
    opened = client.get(links[0])
    assert opened.status_code == 302
    set_password_url = opened["Location"]
    assert set_password_url.endswith("/set-password/")
    form = client.get(set_password_url)
    assert form.status_code == 200
    assert "Choose a new password" in form.content.decode()

    # And set a new password
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    # Then it works for signing in and the old one does not
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/done/"
    assert client.login(username="rep_a", password=NEW_PASSWORD)
    client.logout()
    assert not client.login(username="rep_a", password=PASSWORD)
    # And the link cannot be used a second time
    client.cookies.clear()
    reused = client.get(links[0], follow=True)
    assert "This link is no longer valid" in reused.content.decode()


def test_reset_of_unknown_email_sends_nothing_and_looks_the_same(client, rep_a, smtp):
    # Given the response for a known address
    known = client.post("/password-reset/", {"email": "rep_a@example.com"})
    assert len(smtp.messages) == 1

    # When someone asks for an address that has no account
    unknown = client.post("/password-reset/", {"email": "stranger@example.com"})

    # Then nothing more is sent, and the answer does not reveal whether the account exists
    assert len(smtp.messages) == 1
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/password-reset/sent/"


def test_reset_with_mismatched_passwords_keeps_the_old_one(client, rep_a, smtp):
    # Given an opened reset link
    client.post("/password-reset/", {"email": "rep_a@example.com"})
    link = RESET_LINK.findall(smtp.messages[0].text)[0]
    set_password_url = client.get(link)["Location"]

    # When the two new passwords differ
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )

    # Then the form says so and the password is unchanged
    assert response.status_code == 200
    assert "The two password fields didn\u2019t match." in response.content.decode()
    assert client.login(username="rep_a", password=PASSWORD)
    assert not client.login(username="rep_a", password=NEW_PASSWORD)


def test_reset_is_not_sent_for_a_deactivated_user(client, rep_a, smtp):
    # Given
    rep_a.is_active = False
    rep_a.save(update_fields=["is_active"])

    # When
    response = client.post("/password-reset/", {"email": "rep_a@example.com"})

    # Then
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert smtp.messages == []
