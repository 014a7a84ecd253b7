"""Answers with personal data are never cached; every API failure is JSON, oversized bodies included."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from compute import services as compute_services
from compute.models import UsageBatch
from tests.compute.factories import make_site

pytestmark = pytest.mark.django_db


def no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/dashboard/", "/profile/", "/notifications/", "/fellowships/mine/", "/"])
def test_every_page_for_a_signed_in_person_is_not_stored(applicant: Any, login: Any, url: str) -> None:
    response = login(applicant).get(url)
    assert response.status_code == 200
    assert no_store(response)


def test_public_pages_for_anonymous_visitors_may_be_cached() -> None:
    response = Client().get("/")
    assert response.status_code == 200 and not no_store(response)


def test_every_api_answer_is_not_stored() -> None:
    assert no_store(Client().get("/api/v1/compute/reports/allocations/"))
    assert no_store(Client().get("/api/v1/no-such-thing/"))


def test_an_oversized_api_body_gets_a_413_in_json_and_nothing_is_stored(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    site = make_site("flagship", {"alps": "Europe/Zurich"})
    token = compute_services.create_site_token(site=site, label="big")[1]
    body = "JobIDRaw|Cluster\n" + "1|alps\n" * 500
    response = Client().post(
        "/api/v1/compute/usage/", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the limit of 2000 bytes."}
    assert not UsageBatch.objects.exists()


def test_api_errors_are_json(applicant: Any, login: Any) -> None:
    not_found = Client().get("/api/v1/no-such-thing/")
    assert not_found.status_code == 404 and not_found.json()["detail"]
    unauthenticated = Client().get("/api/v1/compute/sites/flagship/limits/")
    assert unauthenticated.status_code in (401, 403) and unauthenticated.json()["detail"]
    wrong_method = Client().delete("/api/v1/compute/reports/allocations/")
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"]
