"""Monthly rollups of the closed loop, at five levels: the dashboard reads these, never the raw cases.

Every level has the same figures (:class:`RollupFigures`): summable counts (:data:`COUNTS`) and the time to close
as a histogram of a fixed set of integer columns (:data:`BUCKETS`, one per bucket of :data:`HOUR_EDGES`), so that
any slice — counts, medians and 90th percentiles — is one ``SUM … GROUP BY`` in the database. The levels differ in
what a row is about (finest first):

* :class:`MonthlyRollup` — month × building × category × handler (the detail: any combination of slices);
* :class:`BuildingRollup` — month × building: slices by building and grid;
* :class:`HandlerRollup` — month × compound × handler: slices by handler;
* :class:`CompoundRollup` — month × compound × category: a compound's dashboard by month and category;
* :class:`CommunityRollup` — month × community × category: the community's, street's, district's and city's.

A row carries the path of its place (building, compound, community) for scope. :mod:`linli.metrics.selectors`
reads the coarsest level that answers a slice exactly; :func:`linli.metrics.services.rollup_refresh` rebuilds the
(month, compound) pairs whose cases changed, at every level; the sweep calls it every minute.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Upper edges (hours) of the time-to-close buckets: hourly to 6 h, two-hourly to 20 h, six-hourly to 2 days, then
#: coarser to 60 days; a last bucket (``h_over``) holds everything longer. A bucket holds (previous edge, edge].
HOUR_EDGES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 24, 30, 36, 42, 48, 60, 72, 96, 120, 144, 168, 216, 264,
              336, 504, 720, 1080, 1440]
#: The histogram's columns, in order.
BUCKETS = [f"h{edge}" for edge in HOUR_EDGES] + ["h_over"]
#: The counts, in order (definitions: ``docs/metrics.md`` and ``linli.metrics.services.COUNT_FILTERS``).
COUNTS = ("reported", "valid", "responded_on_time", "closed", "closed_on_time", "rated", "satisfied", "reworked",
          "settled_inside")


class RollupFigures(models.Model):
    """The figures of one rollup row: counts and the time-to-close histogram of the cases of one month."""

    month = models.DateField(_("month"))  # the first day of the month the cases were reported in (Asia/Shanghai)
    path = models.CharField(max_length=255)  # the path of the row's place (building, compound, community): scope
    reported = models.PositiveIntegerField(default=0)  # every case reported
    valid = models.PositiveIntegerField(default=0)  # neither rejected nor merged into another case
    responded_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)  # satisfied or basically satisfied, at the first rating
    reworked = models.PositiveIntegerField(default=0)  # closed after being reopened at least once
    settled_inside = models.PositiveIntegerField(default=0)  # closed at building or compound level
    refreshed_at = models.DateTimeField()

    class Meta:
        abstract = True


# The histogram columns, generated so that they cannot drift from HOUR_EDGES (the migrations spell them out).
for _bucket in BUCKETS:
    RollupFigures.add_to_class(_bucket, models.PositiveIntegerField(default=0))


# The keys of a rollup row have no index of their own: rows are read by path and month and replaced by month and
# compound (the indexes below); seven indexes instead of two made every refresh twice as slow.
def _place(**options):
    return models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False, **options)


def _category():
    return models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+", db_index=False)


def _handler():
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", db_index=False)


def _indexes(prefix: str, place: str) -> list[models.Index]:
    return [
        # The refresh replaces a month of some compounds (or communities).
        models.Index(fields=["month", place], name=f"{prefix}_month_idx"),
        # A scope is a path prefix and a dashboard a range of months: both from the index.
        models.Index(fields=["path", "month"], name=f"{prefix}_path_idx", opclasses=["varchar_pattern_ops",
                                                                                       "date_ops"]),
    ]


class MonthlyRollup(RollupFigures):
    """The detail level: month × building (or the compound, for cases on its public spots) × category × handler —
    for the slices no coarser level keeps (a building or grid and a category, a handler and a building…)."""

    compound = _place()
    building = _place(null=True, blank=True)
    category = _category()
    handler = _handler()

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        indexes = _indexes("rollup", "compound")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path} {self.category_id} {self.handler_id}"


class BuildingRollup(RollupFigures):
    """Building level: month × building (or the compound, for its public spots) — buildings and grids."""

    compound = _place()
    building = _place(null=True, blank=True)

    class Meta:
        verbose_name = _("building rollup")
        verbose_name_plural = _("building rollups")
        indexes = _indexes("building_rollup", "compound")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path}"


class HandlerRollup(RollupFigures):
    """Handler level: month × compound × handler."""

    compound = _place()
    handler = _handler()

    class Meta:
        verbose_name = _("handler rollup")
        verbose_name_plural = _("handler rollups")
        indexes = _indexes("handler_rollup", "compound")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path} {self.handler_id}"


class CompoundRollup(RollupFigures):
    """Compound level: month × compound × category — a compound's dashboard by month and category."""

    compound = _place()
    category = _category()

    class Meta:
        verbose_name = _("compound rollup")
        verbose_name_plural = _("compound rollups")
        indexes = _indexes("compound_rollup", "compound")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path} {self.category_id}"


class CommunityRollup(RollupFigures):
    """Community level: month × community (the compound's parent) × category — the dashboards of a community, a
    street, a district or the city by month and category, whose cost grows with communities, not cases."""

    community = _place()
    category = _category()

    class Meta:
        verbose_name = _("community rollup")
        verbose_name_plural = _("community rollups")
        indexes = _indexes("community_rollup", "community")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.path} {self.category_id}"


class RollupState(models.Model):
    """When the rollups were last refreshed (one row): the next refresh looks at cases updated since then."""

    refreshed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups refreshed at {self.refreshed_at}"
