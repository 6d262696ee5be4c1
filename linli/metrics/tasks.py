"""The rollup refresh as a background task. The cases sweep should call :func:`linli.metrics.services.rollup_refresh`
each run; until it does, the dashboard enqueues this task when its figures are older than :data:`MAX_AGE`."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from linli.metrics.services import rollup_refresh

#: The oldest figures the dashboard shows without asking for a refresh.
MAX_AGE = dt.timedelta(minutes=5)


@task()
def metrics_refresh_task() -> list[str]:
    return [m.isoformat() for m in rollup_refresh()]


def refresh_if_stale(refreshed_at) -> bool:
    """Enqueue a refresh when the figures are missing or older than :data:`MAX_AGE`; True when one was asked for."""
    if refreshed_at is not None and timezone.now() - refreshed_at < MAX_AGE:
        return False
    metrics_refresh_task.enqueue()
    return True
