"""Monthly rollups of the closed loop: the dashboard reads these, never the raw cases.

One row per (month reported, building — or the compound for its public spots —, category, handler). Counts are
summable across rows; the time to close is a histogram (:data:`HOUR_EDGES`), so that medians and 90th percentiles
of any slice come from summed histograms. :func:`linli.metrics.services.rollup_refresh` rebuilds the months whose
cases changed; the sweep calls it every few minutes, so the figures are at most that old.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _edges() -> list[int]:
    hours = list(range(1, 49))  # hour by hour for two days
    hours += list(range(54, 24 * 7 + 1, 6))  # six-hourly to a week
    hours += list(range(24 * 8, 24 * 61, 24))  # daily to two months
    return hours


#: Upper edges (hours) of the time-to-close buckets; a last bucket holds everything longer.
HOUR_EDGES = _edges()


class MonthlyRollup(models.Model):
    month = models.DateField(_("month"))  # the first day of the month the cases were reported in (Asia/Shanghai)
    path = models.CharField(max_length=255)  # the building's path, or the compound's for public spots: for scope
    compound = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    reported = models.PositiveIntegerField(default=0)  # every case reported
    valid = models.PositiveIntegerField(default=0)  # neither rejected nor merged into another case
    responded_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)  # satisfied or basically satisfied
    reworked = models.PositiveIntegerField(default=0)  # closed after being reopened at least once
    settled_inside = models.PositiveIntegerField(default=0)  # closed at building or compound level
    close_hours = models.JSONField(default=list)  # histogram over HOUR_EDGES (+ one overflow bucket)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        indexes = [
            models.Index(fields=["month"], name="rollup_month_idx"),
            models.Index(fields=["path"], name="rollup_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path} {self.category_id} {self.handler_id}"


class RollupState(models.Model):
    """When the rollups were last refreshed (one row): the next refresh looks at cases updated since then."""

    refreshed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups refreshed at {self.refreshed_at}"
