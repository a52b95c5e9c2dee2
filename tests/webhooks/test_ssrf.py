"""SSRF: hostile destinations are refused at creation and at delivery; a loopback listener
receives nothing (allow-loopback is off here)."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from revline.webhooks.models import Delivery, Endpoint
from revline.webhooks.services import delivery_attempt, endpoint_create, endpoint_send_test
from revline.webhooks.ssrf import UnsafeDestination, address_refusal, destination_check

from .conftest import make_endpoint


def hostile(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://app.localhost:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",
        f"http://0x7f000001:{port}/hook",
        f"http://0x7f.0.0.1:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::]:{port}/hook",
        f"http://user:pw@127.0.0.1:{port}/hook",
        f"ftp://127.0.0.1:{port}/hook",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]/latest/meta-data",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://[fc00::1]/hook",
        "http://[fd12:3456::1]/hook",
        "http://[fe80::1]/hook",
        "http://[ff02::1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:7f00:1::]/hook",
    ]


@pytest.mark.django_db
def test_hostile_destinations_are_refused_at_creation(admin_user, receiver):
    for url in hostile(receiver.port):
        with pytest.raises(ValidationError) as caught:
            endpoint_create(actor=admin_user, url=url, event_types=["contact.created"])
        assert "url" in caught.value.message_dict, url
    assert Endpoint.objects.count() == 0
    assert receiver.received == []


@pytest.mark.django_db
def test_hostile_destinations_are_refused_at_delivery_and_the_listener_gets_nothing(
    admin_user, receiver
):
    # Given endpoints whose URLs became hostile after they were created (written directly)
    urls = hostile(receiver.port)
    assert len(urls) >= 15
    for url in urls:
        endpoint = make_endpoint(url)
        delivery = endpoint_send_test(actor=admin_user, endpoint=endpoint)
        # When the delivery is attempted, it fails without a request and is not retried
        assert delivery_attempt(delivery_id=delivery.pk) == "failed", url
        delivery.refresh_from_db()
        assert delivery.last_error.startswith("Refused: "), url
        assert delivery.next_attempt_at is None
        assert delivery.last_status_code is None
    assert Delivery.objects.filter(status="failed").count() == len(urls)
    assert receiver.received == []


def test_refusal_reasons_name_the_kind_of_address():
    cases = {
        "127.0.0.1": "a loopback address",
        "::1": "a loopback address",
        "::ffff:127.0.0.1": "a loopback address",
        "10.1.2.3": "a private address",
        "169.254.169.254": "a link-local (cloud metadata) address",
        "100.64.0.1": "a carrier-grade NAT address",
        "fc00::1": "a private (unique local) address",
        "fe80::1": "a link-local address",
        "224.0.0.251": "a multicast address",
        "0.0.0.0": "an unspecified address",  # noqa: S104
        "2001:db8::1": "not a public address",
        "93.184.216.34": None,
        "2606:4700::1111": None,
    }
    for text, reason in cases.items():
        assert address_refusal(ipaddress.ip_address(text)) == reason, text


def test_encoded_forms_are_refused_before_any_lookup():
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34"]

    for host in ("2130706433", "0177.0.0.1", "0x7f000001", "127.1", "1.2.3", "017700000001"):
        with pytest.raises(UnsafeDestination, match="non-standard form"):
            destination_check(f"http://{host}/", resolve=resolve)
    assert looked_up == []


def test_a_name_is_refused_when_any_of_its_addresses_is_internal():
    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(UnsafeDestination, match=r"a private address \(10.0.0.7\)"):
        destination_check("https://hooks.example.com/x", resolve=resolve)


def test_the_checked_address_is_the_one_connected_to():
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["93.184.216.34"]

    destination = destination_check("https://Hooks.Example.com:8443/in?x=1", resolve=resolve)
    assert calls == [("hooks.example.com", 8443)]
    assert (destination.scheme, destination.host, destination.port) == (
        "https",
        "hooks.example.com",
        8443,
    )
    assert (destination.path, destination.address) == ("/in?x=1", "93.184.216.34")


def test_an_unresolvable_name_is_refused():
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with pytest.raises(UnsafeDestination, match="could not be resolved"):
        destination_check("https://nowhere.example/", resolve=resolve)


def test_allow_loopback_lets_only_loopback_through():
    assert destination_check("http://127.0.0.1:9/", allow_loopback=True).address == "127.0.0.1"
    with pytest.raises(UnsafeDestination):
        destination_check("http://10.0.0.1/", allow_loopback=True)
    with pytest.raises(UnsafeDestination):
        destination_check("http://169.254.169.254/", allow_loopback=True)
