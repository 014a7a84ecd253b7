"""T14: schemathesis against /api/v1/schema/ of the application in-process (WSGI): every operation
of every app that is in the schema when the suite runs; no server errors, responses conform to the
schema, bad input is refused with a 4xx. Deterministic and bounded (derandomized, few examples).

Foundation pieces this relies on (cernai/settings/base.py): REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]
= "cernai.core.api.StrictLimitOffsetPagination" (a malformed or huge limit/offset is a 400, not
ignored or a 500) and SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] including
"cernai.core.api.add_error_responses" (404/400/401/403 documented on every operation).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from cernai.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=12,
    deterministic=True,
    no_shrink=True,
    allow_x00=False,
)


@pytest.fixture(scope="module")
def demo_data(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Real rows behind the endpoints (states, resolutions, calls, a site), so responses have content
    to validate; removed when the module ends."""
    with django_db_blocker.unblock():
        call_command("seed_demo", "--quiet")
        yield
        call_command("flush", interactive=False, verbosity=0)


def test_the_schema_covers_every_app() -> None:
    paths = list(schema.raw_schema["paths"])
    for app in ("governance", "fellowships", "compute"):
        assert any(p.startswith(f"/api/v1/{app}/") for p in paths), f"no {app} endpoint in the schema"
    for required in (
        "/api/v1/compute/usage/",
        "/api/v1/compute/storage/",
        "/api/v1/governance/resolutions/",
        "/api/v1/fellowships/calls/",
        "/api/v1/governance/plan/",
        "/api/v1/governance/plan/fair-return/",
    ):
        assert required in paths, required


@pytest.fixture
def keep_test_connection() -> Any:
    """Calling the WSGI application directly fires request_started/finished, whose handler closes
    the database connection (and with it the test's transaction); Django's test client avoids it
    the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, demo_data: Any, keep_test_connection: Any) -> None:
    case.call_and_validate()
