"""Time-based work, run by ``manage.py run_due_jobs`` (a timer, every minute).

Each job is idempotent: running it twice, or late, does the same once.

- transfers: proposals unanswered past their answer time go to the pool
  coordinator (``workflow.transfers_escalate_due``);
- near-due warnings: a request whose running SLA clock has less than
  ``NEAR_DUE_SHARE`` of its target left is marked once (``sla_warned_at``)
  and an ``sla.near_due`` event tells its owner; inboxes highlight it;
- retention: personal data of closed requests past their category's
  retention period is removed (``personal_data.contacts_purge``);
- map bins: the rows each write added to the heat map's stored counts are
  merged, one per bin (``map_bins_compact``, migration geopool 0013).
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from geopool.models import ServiceRequest, Status
from geopool.services.events import event_record
from geopool.services.personal_data import contacts_purge
from geopool.services.workflow import transfers_escalate_due

logger = logging.getLogger(__name__)

NEAR_DUE_SHARE = 0.2


def near_due_warn(now=None):
    """Mark requests whose SLA is near; return how many were marked."""
    now = now or timezone.now()
    count = 0
    running = ServiceRequest.objects.filter(
        sla_running_since__isnull=False,
        sla_due_at__isnull=False,
        sla_warned_at__isnull=True,
        sla_minutes__isnull=False,
    ).exclude(status__in=Status.closed_values())
    for request in running.iterator():
        window = dt.timedelta(minutes=request.sla_minutes * NEAR_DUE_SHARE)
        if request.sla_due_at - now > window:
            continue
        with transaction.atomic():
            updated = ServiceRequest.objects.filter(
                pk=request.pk, sla_warned_at__isnull=True
            ).update(sla_warned_at=now)
            if updated:
                event_record(
                    "sla.near_due",
                    request,
                    actor_label="run_due_jobs",
                    after={"due_at": request.sla_due_at.isoformat()},
                )
                count += 1
    return count


def map_bins_compact():
    """Merge the heat map's stored count rows, one per bin; return rows removed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT geopool_mapbin_compact()")
        return cursor.fetchone()[0]


def map_bins_rebuild():
    """Count every request into the stored map bins again, from nothing.

    Locks the requests against writes (not reads) until it is done, so no
    row is counted twice or missed. Returns (bin rows, requests counted).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE geopool_servicerequest IN SHARE MODE")
        cursor.execute("DELETE FROM geopool_mapbin")
        cursor.execute(
            "SELECT geopool_mapbin_add_ids(min(id), max(id))"
            " FROM geopool_servicerequest"
        )
        cursor.execute(
            "SELECT coalesce(sum(n), 0) FROM geopool_mapbin"
            " WHERE level = (SELECT min(level) FROM geopool_mapbin_level)"
        )
        (requests,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM geopool_mapbin")
        (rows,) = cursor.fetchone()
    logger.info("map bins rebuilt: %d rows for %d requests", rows, requests)
    return rows, requests


def run_due_jobs(now=None):
    """Run every job once; return {job: count}."""
    now = now or timezone.now()
    done = {
        "transfers_escalated": transfers_escalate_due(now),
        "near_due_warnings": near_due_warn(now),
        "contacts_purged": contacts_purge(now),
        "map_bin_rows_merged": map_bins_compact(),
    }
    logger.info("due jobs: %s", done)
    return done
