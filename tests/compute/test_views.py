"""Pages of compute: the PI's usage against quota, jobs with formula, request form, staff pages,
the public transparency report (HTML and API), and pinned query counts at two data sizes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase

from compute.models import AllocationRequest
from governance.models import MemberState
from tests.governance.factories import adopted_scale

from . import factories
from .conftest import post_json, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_usage(project: Any, gpu_period: Any, secretariat: Any, site_fox: str) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        allocation = factories.grant(project, gpu_period, 1000, actor=secretariat)
    post_json(token_client(site_fox), [factories.job()])
    return allocation


def test_project_page_shows_usage_against_quota_by_month_and_user(with_usage: Any, login: Any, pi: Any) -> None:
    page = login(pi).get("/compute/projects/llm-alignment/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="chart-allocation-' in html
    assert "10.00" in html  # used GPU-hours of the allocation, in the table
    assert "alice" in html  # by user
    monthly = page.context["monthly"]
    assert [round(m["gpu_hours"], 2) for m in monthly] == [10.0]


def test_jobs_page_shows_charge_and_formula(with_usage: Any, login: Any, member: Any) -> None:
    page = login(member).get("/compute/projects/llm-alignment/jobs/")
    assert page.status_code == 200
    assert "4 GPU \u00d7 9000 s / 3600 = 10.0000" in page.content.decode()


def test_pi_requests_an_allocation_through_the_form(project: Any, gpu_period: Any, login: Any, pi: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    call = factories.make_call([gpu_period.resource])
    start = timezone.now().date()
    client = login(pi)
    bad = client.post(
        "/compute/projects/llm-alignment/request/",
        {
            "call": call.pk,
            "resource": gpu_period.resource.pk,
            "amount": 10,
            "start": start,
            "end": start - timedelta(days=1),
            "justification": "x",
        },
    )
    assert bad.status_code == 200 and "ends before it starts" in bad.content.decode()
    good = client.post(
        "/compute/projects/llm-alignment/request/",
        {
            "call": call.pk,
            "resource": gpu_period.resource.pk,
            "amount": 500,
            "start": start,
            "end": start + timedelta(days=90),
            "justification": "training runs",
        },
    )
    assert good.status_code == 302
    assert AllocationRequest.objects.get().amount == 500


def test_transparency_report_html_and_api(with_usage: Any, client: Client, project: Any) -> None:
    de = MemberState.objects.create(name="Germany", iso2="DE")
    fr = MemberState.objects.create(name="France", iso2="FR")
    adopted_scale({de: "20.000", fr: "15.000"})  # the shares come from the adopted scale in force
    project.home_state = de
    project.save()
    page = client.get("/compute/transparency/")
    assert page.status_code == 200
    assert 'data-chart="chart-transparency"' in page.content.decode()
    report = client.get("/api/v1/compute/reports/allocations/").json()
    states = {row["key"]: row for row in report["by_member_state"]}
    assert (states["DE"]["gpu_hours"], states["DE"]["gpu_share"], states["DE"]["contribution_share"]) == (
        1000,
        100.0,
        20.0,
    )
    assert (states["FR"]["gpu_hours"], states["FR"]["contribution_share"]) == (0, 15.0)
    assert {row["key"]: row["gpu_hours"] for row in report["by_access_mode"]}["development"] == 1000
    assert report["by_resource"][0]["gpu_hours"] == 1000


def test_staff_pages(with_usage: Any, login: Any, secretariat: Any, site_fox: str) -> None:
    post_json(token_client(site_fox), [factories.job(JobIDRaw="77", Account="stranger")])
    client = login(secretariat)
    assert client.get("/compute/staff/utilisation/").status_code == 200
    unmatched = client.get("/compute/staff/unmatched/")
    assert "stranger" in unmatched.content.decode()
    assert client.post("/compute/staff/rematch/").status_code == 302


def _add_usage(site_fox: str, n: int, offset: int) -> None:
    post_json(token_client(site_fox), factories.jobs(n, start_id=offset, User="alice"))


def test_query_counts_do_not_grow_with_data(
    with_usage: Any, login: Any, pi: Any, site_fox: str, django_assert_num_queries: Any, client: Client
) -> None:
    c = login(pi)
    urls = [
        "/compute/projects/llm-alignment/",
        "/compute/projects/llm-alignment/jobs/",
        "/compute/",
        "/compute/transparency/",
    ]
    counts_small = {}
    for url in urls:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        counts_small[url] = len(ctx)
    _add_usage(site_fox, 1000, 50_000)
    for url in urls:
        with django_assert_num_queries(counts_small[url]):
            assert c.get(url).status_code == 200


def _jobs_with_starts(n: int, *, first_id: int, accounts: tuple[str, ...]) -> list[dict[str, str]]:
    """``n`` jobs spread over ``accounts`` in turn, each started one second after the previous one."""
    month = factories.job()["Start"][:7]
    return [
        factories.job(
            JobIDRaw=first_id + i,
            JobID=first_id + i,
            Account=accounts[i % len(accounts)],
            Start=f"{month}-01T10:{i // 60:02d}:{i % 60:02d}",
            End=f"{month}-01T12:{30 + i // 60:02d}:{i % 60:02d}",
        )
        for i in range(n)
    ]


def test_jobs_page_query_count_is_pinned_at_two_sizes(
    project: Any, login: Any, pi: Any, site_fox: str, django_assert_num_queries: Any
) -> None:
    c = login(pi)
    # session user, who the person is (one standing query), the project, its accounts, one page of
    # jobs (51 rows: the 51st says there is a next page), the unread notifications of the frame.
    post_json(token_client(site_fox), _jobs_with_starts(60, first_id=1, accounts=("ec85",)))
    for url in ("/compute/projects/llm-alignment/jobs/", "/compute/projects/llm-alignment/jobs/?page=2"):
        with django_assert_num_queries(6):
            assert c.get(url).status_code == 200
    post_json(token_client(site_fox), _jobs_with_starts(600, first_id=1000, accounts=("ec85",)))
    for url in ("/compute/projects/llm-alignment/jobs/", "/compute/projects/llm-alignment/jobs/?page=9"):
        with django_assert_num_queries(6):
            assert c.get(url).status_code == 200


def test_jobs_of_several_accounts_are_merged_newest_first_page_by_page(
    project: Any, fox: Any, login: Any, member: Any, site_fox: str
) -> None:
    from compute.models import SlurmAccount

    SlurmAccount.objects.create(project=project, cluster=fox, name="ec86")
    post_json(token_client(site_fox), _jobs_with_starts(75, first_id=1, accounts=("ec85", "ec86")))
    c = login(member)
    first = c.get("/compute/projects/llm-alignment/jobs/")
    second = c.get("/compute/projects/llm-alignment/jobs/?page=2")
    assert first.context["has_next"] and not second.context["has_next"]
    shown = [row["job_id"] for page in (first, second) for row in page.context["rows"]]
    assert shown == [str(i) for i in range(75, 0, -1)]  # the newest start first, both accounts interleaved
    assert c.get("/compute/projects/llm-alignment/jobs/?page=3").status_code == 404


def test_jobs_page_in_french_formats_the_hours_and_the_formula_in_french(
    with_usage: Any, login: Any, member: Any
) -> None:
    member.language = "fr"  # the profile's language, once signed in
    member.save(update_fields=["language"])
    html = login(member).get("/compute/projects/llm-alignment/jobs/").content.decode()
    assert "4 GPU \u00d7 9000 s / 3600 = 10,0000" in html  # French decimal comma, as floatformat gives
    assert "<td>10,0000</td>" in html
