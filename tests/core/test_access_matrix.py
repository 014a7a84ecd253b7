"""T7 for the foundation's URLs: every core page and API document for anonymous, applicant, reviewer,
secretariat → the expected status."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cernai.core import files
from tests.access import Row, check_matrix


@pytest.fixture
def clients(applicant: Any, reviewer: Any, secretariat: Any, login: Any) -> dict[str | None, Client]:
    return {
        None: Client(),
        "applicant": login(applicant),
        "reviewer": login(reviewer),
        "secretariat": login(secretariat),
    }


def everyone(status: int | str) -> dict[str | None, int | str]:
    return dict.fromkeys([None, "applicant", "reviewer", "secretariat"], status)


def signed_in(status: int | str) -> dict[str | None, int | str]:
    return {None: "login", "applicant": status, "reviewer": status, "secretariat": status}


def test_core_access_matrix(applicant: Any, clients: dict[str | None, Client]) -> None:
    cv = files.store_upload(upload=SimpleUploadedFile("cv.pdf", b"%PDF-1.4 cv"), owner=applicant, purpose="cv")
    rows = [
        Row("/", everyone(200)),
        Row("/dashboard/", signed_in(200)),
        Row("/notifications/", signed_in(200)),
        Row("/profile/", signed_in(200)),
        # staff_member_required sends everyone else to the admin login (302), which refuses non-staff.
        Row("/status/", {None: 302, "applicant": 302, "reviewer": 302, "secretariat": 200}),
        Row(f"/files/{cv.pk}/", {None: "login", "applicant": 200, "reviewer": 404, "secretariat": 200}),
        Row("/files/00000000-0000-0000-0000-000000000000/", signed_in(404)),
        Row("/admin/", {None: 302, "applicant": 302, "reviewer": 302, "secretariat": 200}),
        Row("/api/v1/schema/", everyone(200)),
        Row("/api/v1/docs/", everyone(200)),
        Row("/notifications/read-all/", signed_in(405)),
        Row("/notifications/read-all/", signed_in(302), method="post"),
        Row("/no-such-page/", everyone(404)),
    ]
    check_matrix(rows, clients)


def test_the_admin_login_refuses_signed_in_non_staff(clients: dict[str | None, Client]) -> None:
    assert clients["applicant"].get("/admin/login/?next=/admin/").status_code == 403
    assert clients["applicant"].get("/status/", follow=True).status_code == 403


def test_anonymous_admin_visitors_end_at_the_allauth_login(clients: dict[str | None, Client]) -> None:
    response = clients[None].get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.status_code == 200
