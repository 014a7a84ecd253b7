"""T19: sign-in throttling behind the TLS proxy that cannot be turned against the people it protects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from cernai.core.clients import client_address
from tests import factories

from .conftest import PROXY

TOO_MANY = "Too many failed login attempts"
ATTACKER = "203.0.113.66"


def attempt(email: str, password: str, *, via: str, client_at: str | None = None, next_url: str = "") -> Any:
    """A sign-in through the real login form, arriving from ``via`` (the proxy or a client's socket)
    with the proxy's X-Forwarded-For naming ``client_at``."""
    headers = {"REMOTE_ADDR": via}
    if client_at:
        headers["HTTP_X_FORWARDED_FOR"] = client_at
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return Client().post(url, {"login": email, "password": password}, **headers)


def is_refused(response: Any) -> bool:
    return response.status_code == 429 or TOO_MANY in response.text


def signed_in(response: Any) -> bool:
    # The people in these tests have a second factor: the right password leads to its page.
    return response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate/")


def test_t19_fifty_bad_logins_from_one_client_behind_the_proxy_refuse_that_client_only(
    behind_proxy: str, reviewer: Any, secretariat: Any
) -> None:
    targets = [reviewer.email, secretariat.email, "nobody@example.org"]
    refused = 0
    for i in range(50):
        response = attempt(targets[i % 3], "wrong password", via=PROXY, client_at=ATTACKER)
        assert response.status_code in (200, 429)  # 429: allauth's own 30 a minute per address
        refused += response.status_code == 429 or TOO_MANY in response.text
    assert refused >= 25  # slowed, then refused
    # The attacker's address is refused even with a right password...
    response = attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER)
    assert is_refused(response) and not signed_in(response)
    # ...while other clients behind the same proxy, the attacked people included, sign in.
    assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at="198.51.100.7"))
    assert signed_in(attempt(secretariat.email, factories.PASSWORD, via=PROXY, client_at="198.51.100.8"))


def test_x_forwarded_for_from_anyone_but_the_proxy_is_ignored(behind_proxy: str, reviewer: Any) -> None:
    # A client talking to the portal directly cannot spread its failures over invented addresses.
    for i in range(25):
        attempt("nobody@example.org", "wrong password", via=ATTACKER, client_at=f"192.0.2.{i}")
    response = attempt(reviewer.email, factories.PASSWORD, via=ATTACKER, client_at="192.0.2.200")
    assert TOO_MANY in response.text
    assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at="198.51.100.7"))


def test_without_a_trusted_proxy_setting_the_header_is_not_believed(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert client_address(request) == PROXY


def test_the_client_is_the_first_address_from_the_right_that_is_not_a_trusted_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    chain = "1.2.3.4, 203.0.113.9, 10.0.0.7"  # the leftmost entry is whatever the client claimed
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=chain)
    assert client_address(request) == "203.0.113.9"
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-address")
    assert client_address(garbage) == "10.0.0.5"


def test_others_failures_never_lock_an_account_and_delays_grow_then_end(behind_proxy: str, reviewer: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            attempt(reviewer.email, "wrong password", via=PROXY, client_at=ATTACKER)
        assert TOO_MANY in attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER).text
        # The owner, from their own machine, is not refused because of the attacker's failures.
        assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at="198.51.100.7"))

        # That refused attempt counted: the delay doubled from 5 to 10 minutes.
        clock.shift(timedelta(minutes=9))
        assert TOO_MANY in attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER).text
        # ...and again, now 20 minutes from this last attempt; growing, but capped at an hour.
        for _ in range(10):
            attempt(reviewer.email, "wrong password", via=PROXY, client_at=ATTACKER)
        clock.shift(timedelta(minutes=59))
        assert TOO_MANY in attempt(reviewer.email, "wrong password", via=PROXY, client_at=ATTACKER).text
        clock.shift(timedelta(minutes=61))
        # The delay ran out: a right password from that address signs in; no lock is for good.
        assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER))


def test_the_admin_login_is_throttled_the_same_way(behind_proxy: str, secretariat: Any) -> None:
    # The admin's own form hands every attempt to allauth's login (cernai/urls.py).
    handed_over = Client().post(
        "/admin/login/?next=/admin/", {"username": secretariat.email, "password": "x" * 12}, REMOTE_ADDR=PROXY
    )
    assert handed_over.status_code == 302 and handed_over["Location"].startswith("/accounts/login/?next=")
    for _ in range(5):
        attempt(secretariat.email, "wrong password", via=PROXY, client_at=ATTACKER, next_url="/admin/")
    response = attempt(secretariat.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER, next_url="/admin/")
    assert TOO_MANY in response.text
    assert signed_in(attempt(secretariat.email, factories.PASSWORD, via=PROXY, client_at="198.51.100.9"))


@pytest.mark.parametrize("failures", [0, 4])
def test_a_right_password_below_the_threshold_signs_in_and_starts_the_count_again(
    behind_proxy: str, reviewer: Any, failures: int
) -> None:
    for _ in range(failures):
        attempt(reviewer.email, "wrong password", via=PROXY, client_at=ATTACKER)
    assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER))
    for _ in range(4):
        attempt(reviewer.email, "wrong password", via=PROXY, client_at=ATTACKER)
    assert signed_in(attempt(reviewer.email, factories.PASSWORD, via=PROXY, client_at=ATTACKER))
