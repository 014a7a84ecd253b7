"""Storage accounting (issue 11): sites post storage occupancy per Slurm account and day over the
machine API with their token (POST /api/v1/compute/storage/, same auth, bounds and reply contract as
the sacct ingest); each reported day is charged as that day's occupancy for one day, in TB-days, and
shown on the project page, the projects list and the public report (README "Storage accounting")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from compute import charging
from compute.charging import RecordError
from compute.models import SiteToken, StorageUsage, Unit

from . import factories
from .conftest import token_client

pytestmark = pytest.mark.django_db

NOW = "2026-11-20T12:00:00Z"  # October is open until 6 November: on the 20th only November is open
TB = 10**12


def post_storage(client: Client, reports: Any, **extra: Any) -> Any:
    return client.post("/api/v1/compute/storage/", {"reports": reports}, content_type="application/json", **extra)


def report(day: str, used: Any, *, account: str = "ec85", cluster: str = "fox") -> dict[str, Any]:
    return {"cluster": cluster, "account": account, "date": day, "used_bytes": used}


@pytest.fixture
def storage_allocation(project: Any, fox: Any, secretariat: Any) -> Any:
    """2 TB of fox storage for the project from 10 to 30 November 2026."""
    with time_machine.travel("2026-11-05T12:00:00Z", tick=False):
        period = factories.make_resource(fox, unit=Unit.STORAGE_TB, capacity=2_000)
        return factories.grant(project, period, 2, actor=secretariat, start=date(2026, 11, 10), end=date(2026, 11, 30))


# --- the rule --------------------------------------------------------------------------------------


NOW_DT = datetime.fromisoformat(NOW)


def test_a_report_is_parsed_with_its_bounds() -> None:
    parsed = charging.parse_storage_report(report("2026-11-19", "1500000000000"), "Europe/Oslo", now=NOW_DT)
    assert (parsed.day, parsed.used_bytes) == (date(2026, 11, 19), 1_500_000_000_000)
    assert charging.parse_storage_report(report("2026-11-19", 7), "UTC", now=NOW_DT).used_bytes == 7
    # The cluster's local date counts: at 12:00 UTC it is already the 21st in Auckland, not in Oslo.
    with time_machine.travel("2026-11-20T12:00:00Z", tick=False):
        assert charging.parse_storage_report(report("2026-11-21", 1), "Pacific/Auckland", now=NOW_DT).day.day == 21
    cases = {
        "date: '2026-11-21' is in the future": report("2026-11-21", 1),
        "date: '2026-02-30' is not a date": report("2026-02-30", 1),
        "date: '1999-12-31' is before 2000": report("1999-12-31", 1),
        "used_bytes: '-1' is not a whole number": report("2026-11-19", "-1"),
        "used_bytes: '²' is not a whole number": report("2026-11-19", "²"),
        "used_bytes: True is not a whole number": report("2026-11-19", True),
        "used_bytes: 1.5 is not a whole number": report("2026-11-19", 1.5),
        "used_bytes: 100000000000000001 is more than": report("2026-11-19", 10**17 + 1),
        "account: 'ec85\\nscontrol' is not a Slurm name": report("2026-11-19", 1, account="ec85\nscontrol"),
        "account: is required": report("2026-11-19", 1, account=""),
        "size: unknown field": {**report("2026-11-19", 1), "size": 3},
    }  # fmt: skip
    for reason, raw in cases.items():
        with pytest.raises(RecordError) as caught:
            charging.parse_storage_report(raw, "Europe/Oslo", now=NOW_DT)
        assert reason in str(caught.value), (reason, str(caught.value))


def test_tb_days_and_the_share_of_the_quota() -> None:
    assert charging.tb_days(1_500_000_000_000 + 1_000_000_000_000) == 2.5
    assert charging.storage_percent(1_000_000_000_000, 2) == 50.0
    assert charging.storage_percent(5, 0) == 0.0


# --- the feed through the API, as the site ---------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_site_reports_storage_and_a_resent_day_replaces_the_earlier_value(
    project: Any, site_fox: str, storage_allocation: Any
) -> None:
    site = token_client(site_fox)
    feed = [
        report("2026-11-17", 1_200_000_000_000),
        report("2026-11-18", 1_500_000_000_000),
        report("2026-11-19", "1000000000000"),  # sites may send the number as text too
        report("2026-11-19", 50_000_000_000, account="ec99"),  # no project has this account yet
    ]
    reply = post_storage(site, feed)
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert {k: body[k] for k in ("created", "updated", "unchanged", "unmatched", "rejected")} == {
        "created": 4, "updated": 0, "unchanged": 0, "unmatched": 1, "rejected": 0,
    }  # fmt: skip
    assert body["rejected_records"] == [] and isinstance(body["batch"], int)
    assert StorageUsage.objects.count() == 4

    # The same feed again changes nothing; the 19th re-measured replaces the stored value.
    again = post_storage(site, feed).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    fixed = post_storage(site, [report("2026-11-19", 1_100_000_000_000)]).json()
    assert (fixed["created"], fixed["updated"], fixed["unchanged"]) == (0, 1, 0)
    row = StorageUsage.objects.get(account="ec85", day=date(2026, 11, 19))
    assert row.used_bytes == 1_100_000_000_000 and not row.late
    assert row.events.get(pgh_label="storage.replaced").used_bytes == 1_100_000_000_000
    # The token's last use is recorded, as for the sacct ingest.
    assert SiteToken.objects.get(site__slug="flagship").last_used_at is not None


@time_machine.travel(NOW, tick=False)
def test_bad_reports_are_refused_with_their_index_and_reason_and_the_rest_is_stored(
    project: Any, site_fox: str, national: Any
) -> None:
    reply = post_storage(
        token_client(site_fox),
        [
            report("2026-11-19", 3 * TB),  # 0: good
            report("2026-11-19", 1, cluster="hb"),  # 1: another site's cluster
            report("2026-11-25", 1),  # 2: in the future
            report("2026-11-19", "1e12"),  # 3: not a whole number
            report("2026-11-19", 10**18),  # 4: beyond the bound
            report("2026-11-19", 1, account="ec85;rm"),  # 5: not a Slurm name
            report("2026-10-30", 1),  # 6: October is closed
            report("2026-11-18", 2 * TB),  # 7: good
            report("2026-11-18", 2 * TB),  # 8: the same account and day again
        ],
    )
    assert reply.status_code == 200
    body = reply.json()
    reasons = {r["index"]: r["reason"] for r in body["rejected_records"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7]
    assert "cluster: 'hb' is not a cluster of site 'flagship'" in reasons[1]
    assert "in the future" in reasons[2]
    assert "used_bytes: '1e12' is not a whole number" in reasons[3]
    assert "100 PB" in reasons[4]
    assert "not a Slurm name" in reasons[5]
    assert "2026-10 is a closed month" in reasons[6] and "secretariat" in reasons[6]
    assert "sent again as report 8" in reasons[7]
    assert (body["created"], body["rejected"]) == (2, 7)
    assert sorted(StorageUsage.objects.values_list("day", "used_bytes")) == [
        (date(2026, 11, 18), 2 * TB),
        (date(2026, 11, 19), 3 * TB),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_malformed_batch_is_refused_whole(project: Any, site_fox: str) -> None:
    site = token_client(site_fox)
    for body, reason in [
        ({"records": []}, 'a JSON object {"reports": [...]}'),
        ({"reports": "fox"}, "reports: must be a list"),
        ({"reports": [report("2026-11-19", 1), "fox|ec85"]}, "reports[1]: must be an object"),
        ({"reports": [report("2026-11-19", 1)] * 5001}, "too many (5001; at most 5000"),
    ]:
        reply = site.post("/api/v1/compute/storage/", body, content_type="application/json")
        assert reply.status_code == 400, body
        assert reply.json()["detail"] == "Malformed batch: nothing was stored."
        assert any(reason in r for r in reply.json()["reasons"]), reply.json()
    assert site.post("/api/v1/compute/storage/", "fox|ec85", content_type="text/plain").status_code == 415
    assert StorageUsage.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_only_a_site_token_or_staff_may_report(project: Any, site_fox: str, login: Any, pi: Any) -> None:
    assert post_storage(Client(), [report("2026-11-19", 1)]).status_code in (401, 403)
    assert post_storage(token_client("not-a-token"), [report("2026-11-19", 1)]).status_code == 401
    assert post_storage(login(pi), [report("2026-11-19", 1)]).status_code == 403
    assert StorageUsage.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_the_secretariat_back_fills_a_closed_month_marked_late_and_audited(
    project: Any, site_fox: str, login: Any, secretariat: Any
) -> None:
    assert post_storage(token_client(site_fox), [report("2026-10-30", TB)]).json()["rejected"] == 1
    reply = post_storage(login(secretariat), [report("2026-10-30", TB)]).json()
    assert (reply["created"], reply["rejected"]) == (1, 0)
    row = StorageUsage.objects.get(day=date(2026, 10, 30))
    assert row.late
    event = row.events.get(pgh_label="storage.late")
    assert event.pgh_context.metadata["actor"] == secretariat.pk
    assert event.pgh_context.metadata["reason"] == "storage back-fill"


# --- where people see it ------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_project_page_and_the_public_report_show_storage_charged_in_tb_days(
    project: Any, site_fox: str, storage_allocation: Any, login: Any, pi: Any
) -> None:
    """Quota 2 TB from 10 November: 1.5 TB on the 18th and 1.0 TB on the 19th are 2.5 TB-days, the
    occupancy is 1.0 TB (50 % of the quota); the 9th is before the period and is not charged to it."""
    post_storage(
        token_client(site_fox),
        [report("2026-11-09", 9 * TB), report("2026-11-18", 1_500_000_000_000), report("2026-11-19", TB)],
    )
    page = login(pi).get(f"/compute/projects/{project.code}/").content.decode()
    a = storage_allocation
    assert f'data-testid="used-{a.pk}">1.000 TB on ' in page
    assert "50.0 %" in page
    assert "Quota 2 TB; 2.500 TB-days charged from" in page
    assert "<td>2026-11</td><td>2</td><td>2.500</td>" in page
    assert 'id="storage-rule"' in page
    assert "1.000 / 2 TB (50.0 %)" in login(pi).get("/compute/").content.decode()
    assert "1.000 / 2 TB (50.0 %)" in login(pi).get("/dashboard/").content.decode()

    data = Client().get("/api/v1/compute/reports/allocations/").json()
    [row] = [r for r in data["by_resource"] if r["key"] == str(a.resource_id)]
    assert (row["storage_tb"], row["storage_tb_days"]) == (2, 2.5)
    assert data["total_storage_tb_days"] == 2.5
    [mode] = [r for r in data["by_access_mode"] if r["key"] == "development"]
    assert mode["storage_tb_days"] == 2.5
    public = Client().get("/compute/transparency/").content.decode()
    assert "<td>2</td><td>2.500</td>" in public
    assert "Storage used so far: 2.500 TB-days." in public


@time_machine.travel(NOW, tick=False)
def test_the_project_page_in_french_names_the_storage_units(
    project: Any, site_fox: str, storage_allocation: Any, login: Any, pi: Any
) -> None:
    post_storage(token_client(site_fox), [report("2026-11-19", TB)])
    pi.language = "fr"  # the PI reads the portal in French (the profile's language, once signed in)
    pi.save(update_fields=["language"])
    page = login(pi).get(f"/compute/projects/{project.code}/").content.decode()
    assert "To-jours" in page and "Quota de 2 To" in page


@time_machine.travel(NOW, tick=False)
def test_hostile_shapes_are_refused_one_by_one_never_a_server_error(project: Any, site_fox: str) -> None:
    reply = post_storage(
        token_client(site_fox),
        [
            report("2026-11-19", 10**40),  # a JSON integer beyond any column
            {"cluster": ["fox"], "account": "ec85", "date": "2026-11-19", "used_bytes": 1},
            {"cluster": "fox", "account": None, "date": "2026-11-19", "used_bytes": 1},
            {"cluster": "fox", "account": "ec85", "date": 20261119, "used_bytes": 1},
            report("\uff12\uff10\uff12\uff16-11-19", 1),  # non-ASCII (full-width) digits
            report("2026-11-19", "\uff11\uff12"),
            report("2026-11-19", {"TB": 1}),
            report("2026-11-19", None),
            {"cluster": "fox", "account": "ec85", "date": "2026-11-19\x00", "used_bytes": 1},
        ],
    )
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert [r["index"] for r in body["rejected_records"]] == list(range(9))
    assert all(
        r["reason"].split(":")[0] in {"cluster", "account", "date", "used_bytes"} for r in body["rejected_records"]
    )
    assert StorageUsage.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_unmatched_storage_is_listed_to_staff_and_counts_once_the_account_is_registered(
    project: Any, fox: Any, site_fox: str, storage_allocation: Any, login: Any, secretariat: Any
) -> None:
    from compute import selectors
    from compute.models import SlurmAccount

    reply = post_storage(token_client(site_fox), [report("2026-11-19", TB, account="ec99")]).json()
    assert (reply["created"], reply["unmatched"]) == (1, 1)
    staff = login(secretariat)
    page = staff.get("/compute/staff/unmatched/").content.decode()
    assert "<td>fox</td><td>ec99</td><td>1</td><td>2026-11-19</td>" in page
    assert selectors.storage_use([storage_allocation])[storage_allocation.pk].byte_days == 0

    SlurmAccount.objects.create(project=project, cluster=fox, name="ec99")
    assert "<td>ec99</td>" not in staff.get("/compute/staff/unmatched/").content.decode()
    assert selectors.storage_use([storage_allocation])[storage_allocation.pk].byte_days == TB


@time_machine.travel(NOW, tick=False)
def test_80_and_100_percent_of_the_storage_quota_are_announced_once_each(
    project: Any,
    site_fox: str,
    storage_allocation: Any,
    member: Any,
    mailoutbox: list[Any],
    login: Any,
    secretariat: Any,
) -> None:
    """rules §3's thresholds on a 2 TB quota, judged on the latest reported day: 1.5 TB → nothing;
    1.6 TB → one 80 % message to the PI and managers; the same batch again → nothing more; 2.0 TB →
    one 100 % message; a top-up re-arms the latches above the new level."""
    from django.test import TestCase

    from cernai.core.models import Notification

    member.compute_memberships.update(role="manager")
    site = token_client(site_fox)

    def send(reports: list[dict[str, Any]]) -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert post_storage(site, reports).json()["rejected"] == 0

    def messages(kind: str) -> list[Any]:
        return list(Notification.objects.filter(kind=kind).order_by("recipient_id"))

    send([report("2026-11-17", 1_500_000_000_000)])
    assert messages("compute.storage_80") == []
    send([report("2026-11-18", 1_600_000_000_000)])
    sent = messages("compute.storage_80")
    assert {n.recipient for n in sent} == {project.pi, member}
    send([report("2026-11-18", 1_600_000_000_000)])
    send([report("2026-11-18", 1_700_000_000_000)])
    assert len(messages("compute.storage_80")) == 2 and messages("compute.storage_100") == []
    send([report("2026-11-19", 2 * TB)])
    assert len(messages("compute.storage_100")) == 2
    send([report("2026-11-19", 2 * TB)])
    assert len(messages("compute.storage_100")) == 2 and len(messages("compute.storage_80")) == 2
    # The secretariat tops the quota up to 4 TB on the allocation's admin page: 2.0 TB is 50 % of it,
    # so both latches are re-armed and 3.3 TB (82.5 %) is announced again, once.
    from tests.admin_forms import post_form

    with TestCase.captureOnCommitCallbacks(execute=True):
        post_form(
            login(secretariat),
            f"/admin/compute/allocation/{storage_allocation.pk}/change/",
            {"top_up": "2", "reason": "a second dataset"},
        )
    storage_allocation.refresh_from_db()
    assert storage_allocation.amount == 4
    assert not storage_allocation.latched_80 and not storage_allocation.latched_100
    send([report("2026-11-20", 3_300_000_000_000)])
    assert len(messages("compute.storage_80")) == 4 and len(messages("compute.storage_100")) == 2
    emails = [m for m in mailoutbox if "storage quota" in m.subject]
    assert any("fills 80 % of its storage quota" in m.subject for m in emails)
    assert any("occupied 2.000 TB of its 2 TB storage quota on 2026-11-19" in m.body for m in emails)
