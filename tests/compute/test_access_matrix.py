"""T7 for compute: every persona x every compute page and API object."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from compute import services
from tests.access import Row, check_matrix
from tests.factories import UserFactory

from . import factories
from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_compute_access_matrix(
    project: Any,
    gpu_period: Any,
    login: Any,
    pi: Any,
    member: Any,
    secretariat: Any,
    applicant: Any,
    site_fox: str,
    site_national: str,
    reviewer: Any,
) -> None:
    call = factories.make_call([gpu_period.resource])
    outsider = UserFactory(email="outsider@example.org")
    allocation = factories.grant(project, gpu_period, 100, actor=secretariat)
    start = timezone.now().date()
    open_request = services.submit_request(
        call=call,
        project=project,
        resource=gpu_period.resource,
        amount=10,
        start=start,
        end=start + timedelta(days=90),
        justification="x",
        submitted_by=pi,
    )
    assignment = services.assign_reviewer(request=open_request, reviewer=reviewer, kind="technical", actor=secretariat)
    clients: dict[str | None, Client] = {
        None: Client(),
        "pi": login(pi),
        "member": login(member),
        "secretariat": login(secretariat),
        "applicant": login(applicant),
        "outsider": login(outsider),
        "reviewer": login(reviewer),
        "site_fox": token_client(site_fox),
        "site_national": token_client(site_national),
    }
    people = ("pi", "member", "secretariat", "applicant", "outsider")
    everyone_ok = dict.fromkeys(people, 200) | {None: 200}
    rows = [
        Row("/compute/transparency/", everyone_ok),
        Row("/api/v1/compute/reports/allocations/", everyone_ok | {"site_fox": 200}),
        Row("/compute/", {None: "login", **dict.fromkeys(people, 200)}),
        Row(
            "/compute/projects/llm-alignment/",
            {None: "login", "pi": 200, "member": 200, "secretariat": 200, "applicant": 404, "outsider": 404},
        ),
        Row(
            "/compute/projects/llm-alignment/jobs/",
            {None: "login", "pi": 200, "member": 200, "secretariat": 200, "applicant": 404, "outsider": 404},
        ),
        Row(
            "/compute/projects/llm-alignment/request/",
            {None: "login", "pi": 200, "member": 403, "secretariat": 200, "outsider": 404},
        ),
        Row("/compute/projects/nope/", {"pi": 404, "secretariat": 404}),
        *(
            Row(
                f"/compute/projects/llm-alignment/allocations/{allocation.pk}/{action}/",
                {None: "login", "pi": 200, "member": 403, "secretariat": 200, "outsider": 404, "reviewer": 404},
            )
            for action in ("renew", "extend")
        ),
        Row("/compute/projects/llm-alignment/members/", {None: "login", "pi": 405, "secretariat": 405}),
        Row(
            "/compute/projects/llm-alignment/members/",
            {"member": 403, "outsider": 404, "reviewer": 404},
            method="post",
            data={"member-email": "x@example.org", "member-role": "member"},
        ),
        Row(
            f"/compute/projects/llm-alignment/members/{member.pk}/remove/",
            {None: "login", "member": 403, "outsider": 404},
            method="post",
        ),
        Row("/compute/reviews/", {None: "login", **dict.fromkeys(people, 200), "reviewer": 200}),
        Row(
            f"/compute/reviews/{assignment.pk}/",
            {None: "login", "reviewer": 200, "pi": 404, "member": 404, "secretariat": 404, "outsider": 404},
        ),
        Row(f"/compute/reviews/{assignment.pk}/conflict/", {"reviewer": 405, "outsider": 405}),
        *(
            Row(
                f"/admin/compute/allocationrequest/{open_request.pk}/{action}/",
                {None: 302, "pi": 302, "reviewer": 302, "secretariat": 200},
            )
            for action in ("assign", "decide")
        ),
        Row("/compute/staff/utilisation/", {None: 302, "pi": 302, "member": 302, "secretariat": 200}),
        Row("/compute/staff/unmatched/", {None: 302, "pi": 302, "secretariat": 200}),
        Row("/compute/staff/rematch/", {"secretariat": 405}),
        Row(
            "/api/v1/compute/sites/flagship/limits/",
            {None: 401, "pi": 403, "member": 403, "secretariat": 200, "site_fox": 200, "site_national": 403},
        ),
        Row("/api/v1/compute/sites/national/limits/", {"site_fox": 403, "site_national": 200, "secretariat": 200}),
        Row("/api/v1/compute/usage/", {None: 401, "pi": 403, "applicant": 403}, method="post", data={}),
        Row("/api/v1/compute/storage/", {None: 401, "pi": 403, "applicant": 403}, method="post", data={}),
    ]
    check_matrix(rows, clients)


def test_project_list_holds_only_the_callers_projects(project: Any, login: Any, pi: Any, applicant: Any) -> None:
    other = factories.make_project(
        code="other", pi=applicant, cluster=project.slurm_accounts.get().cluster, account="acc2", logins=("zed",)
    )
    assert [r["project"] for r in login(pi).get("/compute/").context["rows"]] == [project]
    assert [r["project"] for r in login(applicant).get("/compute/").context["rows"]] == [other]
