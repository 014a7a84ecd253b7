"""A pytest plugin for the flaky-test hunt: run the in-process tests with the wall clock moved.

    TEST_CLOCK=2026-12-01T00:30:00+00:00 PYTHONPATH=. .venv/bin/pytest -p tests.clockshift tests/compute

The clock starts at ``TEST_CLOCK`` and ticks; tests that travel themselves (time-machine) still do.
Subprocesses (workers, web processes of the reliability tests) keep the real clock. Good moments to
try: the first hours of a month, New Year's Eve in Europe/Zurich, the nights the clocks change.
"""

from __future__ import annotations

import os
from typing import Any

import time_machine

_traveller: Any = None


def pytest_configure(config: Any) -> None:
    global _traveller
    at = os.environ.get("TEST_CLOCK")
    if at:
        _traveller = time_machine.travel(at, tick=True)
        _traveller.start()


def pytest_unconfigure(config: Any) -> None:
    if _traveller is not None:
        _traveller.stop()
