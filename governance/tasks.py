"""Background work of governance: thin tasks that take ids and call one service."""

from celery import shared_task


@shared_task(name="governance.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in governance (run by beat)."""
    return 0
