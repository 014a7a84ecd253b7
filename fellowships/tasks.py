"""Background work of fellowships: thin tasks that take ids and call one service."""

from celery import shared_task


@shared_task(name="fellowships.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in fellowships (run by beat)."""
    return 0
