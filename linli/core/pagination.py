"""One way to page through a list, for pages (the API uses Ninja's pagination)."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

PAGE_SIZE = 50


def count_up_to(queryset, cap: int) -> int:
    """How many rows ``queryset`` has, counting no further than ``cap + 1`` (``COUNT`` over ``LIMIT cap + 1``): a
    result over ``cap`` means "more than ``cap``" without reading the rest."""
    return queryset.order_by()[: cap + 1].count()


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (``COUNT`` over ``LIMIT cap + 1``), so that a list of a street's or a city's
    whole history does not count hundreds of thousands of rows on every page; past the cap there are no more pages
    (``capped`` says so, and the pager shows "20+"): such a list is for filtering, not for paging through."""

    def __init__(self, *args, cap: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return count_up_to(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap


def paginate(request, queryset, per_page: int = PAGE_SIZE, cap: int | None = None):
    """Return the requested page of ``queryset``; a bad or too-large page number gives the last page. ``cap``:
    count at most that many rows (:class:`CappedPaginator`)."""
    paginator = Paginator(queryset, per_page) if cap is None else CappedPaginator(queryset, per_page, cap=cap)
    return paginator.get_page(request.GET.get("page"))
