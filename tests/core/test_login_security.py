"""T6: failed-login limits (admin included), TOTP replay, single-use recovery codes, MFA enforcement."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from cernai.accounts import roles
from cernai.core.demo import current_totp_code, demo_totp_secret, recovery_codes_of
from tests import factories

TOO_MANY = "Too many failed login attempts"


def signed_in_as(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def test_sixth_failed_login_within_five_minutes_is_refused_even_with_the_right_password(
    applicant: Any, form_login: Any
) -> None:
    client = Client()
    for attempt in range(5):
        response = form_login(client, applicant.email, "wrong password")
        assert response.status_code == 200, attempt
        assert TOO_MANY not in response.text
    response = form_login(client, applicant.email, factories.PASSWORD)
    assert response.status_code == 200
    assert TOO_MANY in response.text
    assert signed_in_as(client) is None


def test_the_limit_is_per_account_not_per_session(applicant: Any, form_login: Any) -> None:
    for _ in range(5):
        form_login(Client(), applicant.email.upper(), "wrong password")
    fresh = Client()
    assert TOO_MANY in form_login(fresh, applicant.email, factories.PASSWORD).text
    assert signed_in_as(fresh) is None


def test_other_accounts_are_not_locked_out(applicant: Any, reviewer: Any, form_login: Any) -> None:
    for _ in range(5):
        form_login(Client(), applicant.email, "wrong password")
    client = Client()
    response = form_login(client, reviewer.email, factories.PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")


def test_the_admin_login_sends_credentials_through_allauth_and_its_limit(secretariat: Any, form_login: Any) -> None:
    client = Client()
    # The admin's own form never checks a password: every attempt is sent to allauth's login.
    response = client.post("/admin/login/?next=/admin/", {"username": secretariat.email, "password": "x" * 12})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert signed_in_as(client) is None
    response = client.post("/admin/login/", {"username": secretariat.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert signed_in_as(client) is None

    for _ in range(5):
        assert TOO_MANY not in form_login(client, secretariat.email, "wrong password", next_url="/admin/").text
    response = form_login(client, secretariat.email, factories.PASSWORD, next_url="/admin/")
    assert TOO_MANY in response.text
    assert signed_in_as(client) is None
    assert Client().get("/admin/").status_code == 302


def test_admin_login_of_a_staff_member_completes_with_a_second_factor(secretariat: Any, form_login: Any) -> None:
    client = Client()
    response = form_login(client, secretariat.email, next_url="/admin/")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302  # password alone is not a login
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": current_totp_code(demo_totp_secret(secretariat.email))}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def _at_second_factor(user: Any, form_login: Any) -> Client:
    client = Client()
    response = form_login(client, user.email)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    return client


@pytest.mark.django_db(transaction=True)
def test_the_same_totp_code_submitted_twice_at_once_passes_at_most_once(form_login: Any) -> None:
    user = factories.UserFactory(email="twice@example.org", groups=[roles.REVIEWER], mfa=True)
    clients = [_at_second_factor(user, form_login) for _ in range(2)]
    code = current_totp_code(demo_totp_secret(user.email))
    barrier = threading.Barrier(len(clients))
    outcomes: list[int | None] = [None] * len(clients)

    def submit(i: int) -> None:
        try:
            barrier.wait()
            clients[i].post("/accounts/2fa/authenticate/", {"code": code})
            outcomes[i] = signed_in_as(clients[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(user.pk) == 1, outcomes
    # And the code stays spent: a third attempt in the same period is refused too.
    third = _at_second_factor(user, form_login)
    third.post("/accounts/2fa/authenticate/", {"code": code})
    assert signed_in_as(third) is None


def test_a_totp_code_used_once_is_refused_the_second_time(reviewer: Any, form_login: Any) -> None:
    code = current_totp_code(demo_totp_secret(reviewer.email))
    first = _at_second_factor(reviewer, form_login)
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert signed_in_as(first) == reviewer.pk
    second = _at_second_factor(reviewer, form_login)
    response = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 200
    assert signed_in_as(second) is None


def test_a_wrong_totp_code_is_refused(reviewer: Any, form_login: Any) -> None:
    client = _at_second_factor(reviewer, form_login)
    good = current_totp_code(demo_totp_secret(reviewer.email))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.text
    assert signed_in_as(client) is None


def test_recovery_codes_are_single_use(reviewer: Any, form_login: Any) -> None:
    codes = recovery_codes_of(reviewer)
    assert len(codes) >= 2
    first = _at_second_factor(reviewer, form_login)
    assert first.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert signed_in_as(first) == reviewer.pk
    assert codes[0] not in recovery_codes_of(reviewer)

    again = _at_second_factor(reviewer, form_login)
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200
    assert signed_in_as(again) is None
    other = _at_second_factor(reviewer, form_login)
    assert other.post("/accounts/2fa/authenticate/", {"code": codes[1]}).status_code == 302
    assert signed_in_as(other) == reviewer.pk


def _chairs(user: Any) -> None:
    from governance.models import Council

    Council.objects.create(name="Council of the test", chair=user)


def _delegate(user: Any) -> None:
    import datetime as dt

    from governance.models import Appointment, MemberState

    state = MemberState.objects.create(name="Freedonia", iso2="FD")
    Appointment.objects.create(state=state, user=user, role=Appointment.Role.SCIENTIFIC, start=dt.date(2020, 1, 1))


def _reviewer(user: Any) -> None:
    from fellowships import services
    from tests.fellowships import factories as fellowships_factories

    fellowships_factories.member_states()
    application = fellowships_factories.filled_application(fellowships_factories.CallFactory())
    application = services.submit_application(application=application, actor=application.applicant)
    report = services.assign_reviewers(applications=[application], reviewers=[user], actor=None)
    assert report.created


@pytest.mark.parametrize(
    ("groups", "staff", "record"),
    [
        ([], True, None),
        ([roles.SECRETARIAT], False, None),
        ([], False, _chairs),
        ([], False, _delegate),
        ([], False, _reviewer),
    ],
    ids=["staff", "secretariat", "chair", "delegate", "reviewer"],
)
def test_roles_without_mfa_are_sent_to_set_it_up_and_can_still_reach_mfa_and_sign_out(
    db: Any, groups: list[str], staff: bool, record: Any
) -> None:
    """Roles follow from records (appointment, chair, review assignment): so does the second factor."""
    user = factories.UserFactory(email="nomfa@example.org", groups=groups, is_staff=staff)
    if record:
        record(user)
    client = Client()
    client.force_login(user)
    for path in ("/dashboard/", "/notifications/", "/profile/", "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path
    follow = client.get("/dashboard/", follow=True)
    assert "Your role requires two-factor authentication" in follow.text
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/2fa/totp/activate/").status_code in (200, 302)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_as(client) is None


def test_after_setting_up_totp_the_role_gets_through(db: Any, login: Any) -> None:
    user = factories.UserFactory(email="delegate@example.org", groups=[roles.DELEGATE], mfa=True)
    assert login(user).get("/dashboard/").status_code == 200


def test_people_who_do_not_need_mfa_are_not_redirected(applicant: Any) -> None:
    client = Client()
    client.force_login(applicant)
    for path in ("/dashboard/", "/notifications/", "/profile/", "/"):
        assert client.get(path).status_code == 200, path
