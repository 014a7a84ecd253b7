"""Issue 8 §5: every changelist the secretariat opens costs the same number of queries with 10 rows
and with 1,000 (one page shows 100 of them): no query per row. Rows are bulk-created from the
model's own fields (a fresh related row per required foreign key when it must be unique, one shared
otherwise), so a new admin is covered without writing anything here."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db

APPS = {"governance", "fellowships", "compute", "finance", "accounts", "core"}
ADMINS = sorted(
    (model._meta.label_lower for model in admin.site._registry if model._meta.app_label in APPS),
)
_counter = itertools.count(1)


def _value(field: models.Field[Any, Any], n: int) -> Any:
    """A valid value for a required field of row ``n`` (unique where the field is)."""
    if field.choices:
        return field.choices[n % len(field.choices) if not field.unique else 0][0]
    if isinstance(field, models.EmailField):
        return f"row{n}@example.org"
    if isinstance(field, models.CharField | models.TextField | models.SlugField):
        size = field.max_length or 40
        if size <= 3:  # short codes (ISO): two base-36 digits
            digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            return (digits[n // 36 % 36] + digits[n % 36])[:size]
        return f"row-{n}"[:size]
    if isinstance(field, models.DateTimeField):
        return timezone.now() - dt.timedelta(minutes=n)
    if isinstance(field, models.DateField):
        return timezone.localdate() - dt.timedelta(days=n)
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(1)
    if isinstance(field, models.DurationField):
        return dt.timedelta(seconds=n)
    if isinstance(field, models.IntegerField | models.FloatField):
        return 2000 + n if field.name.endswith("year") else n
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.UUIDField):
        import uuid

        return uuid.uuid4()
    if isinstance(field, models.FileField):
        return f"row-{n}"
    if isinstance(field, models.BinaryField):
        return b"x"
    raise NotImplementedError(f"{field.model.__name__}.{field.name}: {type(field).__name__}")


def _rows(model: type[models.Model], count: int, shared: dict[type[models.Model], Any]) -> list[models.Model]:
    rows = []
    for _ in range(count):
        n = next(_counter)
        values: dict[str, Any] = {}
        for field in model._meta.concrete_fields:
            if field.primary_key or field.has_default() or field.null or getattr(field, "auto_now_add", False):
                continue
            if getattr(field, "auto_now", False):
                continue
            if isinstance(field, models.ForeignKey):
                related = field.related_model
                if field.unique:  # one-to-one: a row of its own
                    values[field.name] = _rows(related, 1, shared)[0]  # type: ignore[arg-type]
                else:
                    if related not in shared:
                        shared[related] = _rows(related, 1, shared)[0]  # type: ignore[arg-type, index]
                    values[field.name] = shared[related]  # type: ignore[index]
                continue
            if field.blank and isinstance(field, models.CharField | models.TextField):
                continue
            values[field.name] = _value(field, n)
        rows.append(model(**values))
    return model._default_manager.bulk_create(rows)  # type: ignore[return-value]


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("label", ADMINS)
def test_a_changelist_costs_the_same_queries_with_10_and_1000_rows(label: str, secretariat: Any, login: Any) -> None:
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    client = login(secretariat)
    if client.get(url).status_code == 403:
        pytest.fail(f"{url} is not open to the secretariat")
    shared: dict[type[models.Model], Any] = {}
    existing = model._default_manager.count()
    _rows(model, max(0, 10 - existing), shared)
    few = _queries(client, url)
    _rows(model, 1000 - model._default_manager.count(), shared)
    assert model._default_manager.count() == 1000
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with 10 rows, {many} with 1,000"
