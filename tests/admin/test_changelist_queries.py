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

APPS = {"governance", "fellowships", "compute", "finance", "nodes", "accounts", "core"}
ADMINS = sorted(
    (model._meta.label_lower for model in admin.site._registry if model._meta.app_label in APPS),
)
_counter = itertools.count(1)
_codes = itertools.count(0)


def _value(field: models.Field[Any, Any], n: int, order: int) -> Any:
    """A valid value for a required field: ``n`` is unique to the row, ``order`` the field's place
    among the model's fields (a later date is later: periods end after they start)."""
    if field.choices:
        return field.choices[n % len(field.choices) if not field.unique else 0][0]
    if isinstance(field, models.EmailField):
        return f"row{n}@example.org"
    if isinstance(field, models.CharField | models.TextField | models.SlugField):
        size = field.max_length or 40
        if size <= 3:  # short codes (ISO): two base-36 digits
            digits = "0123456789abcdefghijklmnopqrstuvwxyz"  # never a real (upper-case) ISO code
            code = next(_codes)  # a counter of its own: 1,296 two-character codes
            return (digits[code // 36 % 36] + digits[code % 36])[:size]
        return f"row-{n}"[:size]
    if isinstance(field, models.DateTimeField):
        return timezone.now() - dt.timedelta(days=400) + dt.timedelta(days=order, minutes=n % 1000)
    if isinstance(field, models.DateField):
        return timezone.localdate() - dt.timedelta(days=400) + dt.timedelta(days=order)
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(1)
    if isinstance(field, models.DurationField):
        return dt.timedelta(seconds=n)
    if isinstance(field, models.IntegerField | models.FloatField):
        return 2000 + n % 50 + order if field.name.endswith("year") else n % 30000
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


# Nullable fields a row needs all the same (a check constraint asks for one of two).
FILL_NULLABLE = {"compute.allocationrequest": {"call"}, "finance.planline": {"state"}}


def _constrained(model: type[models.Model]) -> set[str]:
    """Fields named in the model's unique, unique-together or exclusion constraints."""
    names: set[str] = {name for group in model._meta.unique_together for name in group}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            continue
        names.update(getattr(constraint, "fields", ()) or ())
        names.update(field.name for field in model._meta.concrete_fields if f"'{field.name}'" in repr(constraint))
        names.update(field.attname for field in model._meta.concrete_fields if f"'{field.attname}'" in repr(constraint))
    return names


def _rows(model: type[models.Model], count: int, shared: dict[type[models.Model], Any]) -> list[models.Model]:
    """``count`` new rows of ``model``: a fresh related row for a foreign key the model's constraints
    make unique, one shared related row for the others."""
    if count <= 0:
        return []
    constrained = _constrained(model)
    fill = FILL_NULLABLE.get(model._meta.label_lower, set())
    values: list[dict[str, Any]] = [{} for _ in range(count)]
    numbers = [next(_counter) for _ in range(count)]
    for order, field in enumerate(model._meta.concrete_fields):
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if (field.has_default() or field.null) and field.name not in fill:
            continue
        if isinstance(field, models.ForeignKey):
            related: Any = field.related_model
            if field.unique or field.name in constrained or field.attname in constrained:
                for row, other in zip(values, _rows(related, count, shared), strict=True):
                    row[field.name] = other
            else:
                if related not in shared:
                    shared[related] = _rows(related, 1, shared)[0]
                for row in values:
                    row[field.name] = shared[related]
            continue
        if field.blank and isinstance(field, models.CharField | models.TextField):
            continue
        for row, n in zip(values, numbers, strict=True):
            row[field.name] = _value(field, n, order)
    return model._default_manager.bulk_create([model(**row) for row in values])  # type: ignore[return-value]


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    if response.status_code == 403:
        pytest.fail(f"{url} is not open to the secretariat")
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("label", ADMINS)
def test_a_changelist_costs_the_same_queries_with_10_and_1000_rows(label: str, secretariat: Any, login: Any) -> None:
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    global _counter, _codes
    _counter, _codes = itertools.count(1), itertools.count(0)
    client = login(secretariat)
    shared: dict[type[models.Model], Any] = {}
    existing = model._default_manager.count()
    _rows(model, max(0, 10 - existing), shared)
    few = _queries(client, url)
    _rows(model, 1000 - model._default_manager.count(), shared)
    assert model._default_manager.count() == 1000
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with 10 rows, {many} with 1,000"
