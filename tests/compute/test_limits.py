"""GET /api/v1/compute/sites/<site>/limits/ as JSON and as a sacctmgr command file; token scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import TestCase

from compute.models import Unit

from . import factories
from .conftest import post_json, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(project: Any, fox: Any, secretariat: Any) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        factories.grant(project, factories.make_resource(fox), 1000, actor=secretariat)
        factories.grant(project, factories.make_resource(fox, unit=Unit.CORE_HOURS), 50_000, actor=secretariat)


def test_limits_json_per_account(granted: None, site_fox: str) -> None:
    post_json(token_client(site_fox), [factories.job()])  # 10 GPU-h, 20 core-h
    reply = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/")
    assert reply.status_code == 200
    assert reply.json()["accounts"] == [
        {
            "cluster": "fox",
            "account": "ec85",
            "project": "llm-alignment",
            "granted_gpu_hours": 1000,
            "used_gpu_hours": 10.0,
            "granted_core_hours": 50_000,
            "used_core_hours": 20.0,
            "grp_tres_mins": "gres/gpu=60000,cpu=3000000",
            "GrpTRESMins": {"gres/gpu": 60000, "cpu": 3000000},
            "blocked": False,
            "reason": "",
        }
    ]


def test_limits_as_sacctmgr_command_file(granted: None, site_fox: str) -> None:
    reply = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/?format=sacctmgr")
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("text/plain")
    lines = [line for line in reply.content.decode().splitlines() if not line.startswith("#")]
    assert lines == [
        "sacctmgr -i modify account where name=ec85 cluster=fox set GrpTRESMins=gres/gpu=60000,cpu=3000000 "
        "GrpSubmitJobs=-1"
    ]


def test_an_account_without_active_grant_is_blocked(project: Any, site_fox: str) -> None:
    account = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").json()["accounts"][0]
    assert (account["blocked"], account["reason"], account["grp_tres_mins"]) == (
        True,
        "no active allocation",
        "gres/gpu=0,cpu=0",
    )


def test_a_token_cannot_read_another_sites_limits(project: Any, site_fox: str, site_national: str) -> None:
    assert token_client(site_national).get("/api/v1/compute/sites/flagship/limits/").status_code == 403
    assert token_client(site_fox).get("/api/v1/compute/sites/national/limits/").status_code == 403
    assert token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").status_code == 200


def test_limits_need_a_token_or_staff(project: Any, client: Any, login: Any, secretariat: Any, pi: Any) -> None:
    assert client.get("/api/v1/compute/sites/flagship/limits/").status_code in (401, 403)
    assert login(pi).get("/api/v1/compute/sites/flagship/limits/").status_code == 403
    assert login(secretariat).get("/api/v1/compute/sites/flagship/limits/").status_code == 200
    assert login(secretariat).get("/api/v1/compute/sites/nowhere/limits/").status_code == 404


def test_limits_query_count_does_not_grow_with_accounts(
    fox: Any, site_fox: str, secretariat: Any, django_assert_num_queries: Any
) -> None:
    from tests.factories import UserFactory

    period = factories.make_resource(fox, capacity=10**9)

    def add(n: int, offset: int) -> None:
        for i in range(n):
            pi = UserFactory()
            project = factories.make_project(
                code=f"p{offset + i}", pi=pi, cluster=fox, account=f"acc{offset + i}", logins=(f"u{offset + i}",)
            )
            factories.grant(project, period, 10, actor=secretariat)

    client = token_client(site_fox)
    client.get("/api/v1/compute/sites/flagship/limits/")  # the first use records last_used_at (one UPDATE)
    add(2, 0)
    with django_assert_num_queries(4):  # token, site, accounts, allocations
        assert len(client.get("/api/v1/compute/sites/flagship/limits/").json()["accounts"]) == 2
    add(20, 100)
    with django_assert_num_queries(4):  # token, site, accounts, allocations
        assert len(client.get("/api/v1/compute/sites/flagship/limits/").json()["accounts"]) == 22


INJECTION = "ec85\nscontrol shutdown"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/compute/cluster/add/", "name"),
        ("/admin/compute/clusterlogin/add/", "username"),
        ("/admin/compute/site/add/", "clusters-0-name"),
    ],
)
def test_the_secretariat_cannot_enter_a_name_that_injects_into_the_sacctmgr_file(
    url: str, field: str, flagship: Any, login: Any, secretariat: Any
) -> None:
    from compute.models import Cluster, ClusterLogin
    from tests.admin_forms import form_fields, messages_of, post_form

    client = login(secretariat)
    changes: dict[str, Any] = {field: INJECTION}
    shown = form_fields(client, url)
    for name, value in {"site": str(flagship.pk), "timezone": "UTC", "user": str(secretariat.pk)}.items():
        if name in shown:
            changes[name] = value
    if field == "clusters-0-name":
        changes.update({"name": "Node", "slug": "node", "clusters-TOTAL_FORMS": "1", "clusters-0-timezone": "UTC"})
        if "clusters-0-name" not in shown:
            # The inline's empty row is a template the page's script copies; a browser sends its fields.
            post = {**shown, **changes, "clusters-0-site": ""}
            response = client.post(url, post, follow=True)
        else:
            response = post_form(client, url, changes)
    else:
        if "cluster" in shown:
            changes["cluster"] = str(Cluster.objects.get(name="fox").pk)
        response = post_form(client, url, changes)
    assert any("is not a Slurm name" in text for text in messages_of(response)), messages_of(response)
    assert not Cluster.objects.filter(name=INJECTION).exists()
    assert not ClusterLogin.objects.filter(username=INJECTION).exists()


def test_the_secretariat_cannot_rename_a_projects_slurm_account_to_inject(
    project: Any, login: Any, secretariat: Any
) -> None:
    from tests.admin_forms import messages_of, post_form

    url = f"/admin/compute/project/{project.pk}/change/"
    response = post_form(login(secretariat), url, {"slurm_accounts-0-name": INJECTION})
    assert any("is not a Slurm name" in text for text in messages_of(response)), messages_of(response)
    assert project.slurm_accounts.get().name == "ec85"


def test_a_name_stored_before_validation_is_left_out_of_the_sacctmgr_file(
    granted: None, project: Any, site_fox: str
) -> None:
    # A name that reached the database before names were validated (or by raw SQL).
    project.slurm_accounts.update(name=INJECTION)
    reply = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/?format=sacctmgr")
    assert reply.status_code == 200
    lines = reply.content.decode().splitlines()
    assert not any(line.startswith("scontrol") for line in lines)
    assert not any(line.startswith("sacctmgr") for line in lines)
    assert "# skipped an account of project llm-alignment: its name is not a valid Slurm name" in lines
