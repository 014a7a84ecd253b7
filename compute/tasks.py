"""Background work of compute: thin tasks that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from . import services

ACCOUNTING_RETRIES = 3


@shared_task(
    name="compute.account_batch",
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    max_retries=ACCOUNTING_RETRIES,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=False,
)
def account_batch_task(self, batch_id: int) -> str:  # type: ignore[no-untyped-def]
    """Account one stored usage batch (idempotent: totals are recomputed, latches are conditional)."""
    return services.account_batch(batch_id=batch_id)


@shared_task(name="compute.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in compute (run by beat every minute)."""
    return services.sweep_batches()


@shared_task(name="compute.daily")
def daily() -> int:
    """Daily compute chores: expiry reminders at 30/14/7 days, then expire ended allocations."""
    sent = services.send_expiry_reminders()
    services.expire_allocations()
    return sent
