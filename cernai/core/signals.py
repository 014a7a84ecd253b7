"""Record background tasks that failed for good, so staff see them on the status page (T10)."""

from __future__ import annotations

from typing import Any

from celery.signals import task_failure


@task_failure.connect
def record_task_failure(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    from .models import TaskFailure

    TaskFailure.objects.create(
        task_name=getattr(sender, "name", str(sender)),
        task_id=task_id or "",
        args=list(args or []),
        kwargs=dict(kwargs or {}),
        exception=repr(exception)[:4000],
    )
