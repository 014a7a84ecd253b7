"""T14 for the machine API with a real site token: schemathesis sends generated (and deliberately
invalid) batches to POST /api/v1/compute/usage/, POST /api/v1/compute/storage/ and GET .../limits/
as the site fox. The records and storage reports are steered to the site's own cluster so that the
fuzzed values reach the parser and the database, not just the "unknown cluster" refusal. No answer
may be a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cernai.wsgi import application
from tests.test_api_schema import keep_test_connection  # noqa: F401  (fixture, requested by name)

# ruff: noqa: F811

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).include(
    path_regex=r"^/api/v1/compute/(usage|storage|sites)/"
)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=60,
    deterministic=True,
    no_shrink=True,
    allow_x00=False,
)


def test_the_fuzzed_operations_are_the_machine_api() -> None:
    assert {
        "/api/v1/compute/sites/{site}/limits/",
        "/api/v1/compute/usage/",
        "/api/v1/compute/storage/",
    } <= set(schema.raw_schema["paths"])


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_the_usage_api_never_answers_a_server_error(
    case: Any, project: Any, site_fox: str, keep_test_connection: Any
) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("records"), list):
        for record in case.body["records"][::2]:
            if isinstance(record, dict):
                record["Cluster"] = "fox"
    if isinstance(case.body, dict) and isinstance(case.body.get("reports"), list):
        for report in case.body["reports"][::2]:
            if isinstance(report, dict):
                report["cluster"] = "fox"
    if "site" in (case.path_parameters or {}):
        case.path_parameters["site"] = "flagship"
    response = case.call(headers={"Authorization": f"Token {site_fox}"})
    assert response.status_code < 500, (response.status_code, case.body, response.text[:500])
    # The answers must match the schema. Which requests the server must accept or refuse is not checked
    # here: the token is always the site's own (the credential checks belong to the unauthenticated
    # run of tests/test_api_schema.py), and a record's content is refused record by record with 200.
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
