"""Background work of compute: thin tasks that take ids and call one service."""

from celery import shared_task


@shared_task(name="compute.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in compute (run by beat)."""
    return 0


@shared_task(name="compute.daily")
def daily() -> int:
    """Daily compute chores (expiry reminders), run by beat."""
    return 0
