"""The audit trail: django-pghistory events, written by database triggers (so bulk and raw updates
are recorded too) into append-only tables.

A model joins the trail with one decorator::

    from cernai.core.audit import audited

    @audited
    class Ballot(models.Model): ...

Services add who and why to every event written inside them with ``audit_context``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory


def audited[M](model: type[M] | None = None, **options: Any) -> Any:
    """Record every insert, update and delete of ``model`` in its append-only event table.

    Used bare (``@audited``) or with pghistory's options: ``exclude`` keeps secrets such as password
    hashes out of the trail; ``model_name`` and ``app_label`` place the events of another package's
    model (allauth's authenticators, the user-group links) in one of ours.
    """
    tracker = pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True, **options
    )
    return tracker if model is None else tracker(model)


@contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """Attach metadata (actor id, reason, justification…) to the events written inside the block."""
    clean = {key: (value.pk if hasattr(value, "pk") else value) for key, value in metadata.items()}
    with pghistory.context(**clean):
        yield


def redact_events(event_model: Any, *, values: dict[str, Any], **filters: Any) -> int:
    """Overwrite personal data in an append-only event table, the one change the trail allows: an
    erasure the person asked for. The rows stay (what happened, when, by whom); ``values`` replace
    the personal fields of the rows matching ``filters``. Returns the number of rows redacted."""
    import pgtrigger

    label = f"{event_model._meta.app_label}.{event_model.__name__}:append_only"
    with pgtrigger.ignore(label):
        return int(event_model.objects.filter(**filters).update(**values))
