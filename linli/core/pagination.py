"""One way to page through a list, for pages (the API uses Ninja's pagination)."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

PAGE_SIZE = 50


def count_up_to(queryset, cap: int, *, part=None) -> int:
    """How many rows ``queryset`` has, counting no further than ``cap + 1`` (``COUNT`` over ``LIMIT cap + 1``): a
    result over ``cap`` means "more than ``cap``" without reading the rest.

    ``part``: a queryset of some of those rows, counted first in the same statement; when it alone passes the cap,
    so does the whole, and the whole is not counted. Why: a whole made of several ``OR`` branches is read by
    PostgreSQL as a bitmap of every row of every branch before ``LIMIT`` applies — a street's whole history, 98 000
    cases at 10 M, 30 ms (docs/bench.md §2) — while one branch alone is read through its index and stops at the
    cap."""
    if part is None:
        return queryset.order_by()[: cap + 1].count()
    part_sql, part_params = part.order_by().values("pk")[: cap + 1].query.sql_with_params()
    whole_sql, whole_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
    # The ELSE's subquery runs only when reached (PostgreSQL evaluates an uncorrelated subquery when first used).
    sql = (f"SELECT CASE WHEN (SELECT COUNT(*) FROM ({part_sql}) p) > %s THEN %s "  # noqa: S608
           f"ELSE (SELECT COUNT(*) FROM ({whole_sql}) w) END")
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [*part_params, cap, cap + 1, *whole_params])
        return cursor.fetchone()[0]


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (``COUNT`` over ``LIMIT cap + 1``), so that a list of a street's or a city's
    whole history does not count hundreds of thousands of rows on every page; past the cap there are no more pages
    (``capped`` says so, and the pager shows "20+"): such a list is for filtering, not for paging through."""

    def __init__(self, *args, cap: int, part=None, rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap, self.part, self.rows = cap, part, rows

    def page(self, number):
        """The page — its rows from ``rows(bottom, top)`` when given (the same rows as slicing the list, found
        another way: :func:`linli.cases.selectors.queue_rows`)."""
        if self.rows is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:  # as Django's own
            top = self.count
        return self._get_page(self.rows(bottom, top), number, self)

    @cached_property
    def _counted(self) -> int:
        return count_up_to(self.object_list, self.cap, part=self.part)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap


def paginate(request, queryset, per_page: int = PAGE_SIZE, cap: int | None = None, part=None, rows=None):
    """Return the requested page of ``queryset``; a bad or too-large page number gives the last page. ``cap``:
    count at most that many rows, ``part`` first, the page's ``rows(bottom, top)`` (:class:`CappedPaginator`,
    :func:`count_up_to`)."""
    paginator = (Paginator(queryset, per_page) if cap is None
                 else CappedPaginator(queryset, per_page, cap=cap, part=part, rows=rows))
    return paginator.get_page(request.GET.get("page"))
