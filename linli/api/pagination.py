"""Paging for every list endpoint: ``?limit=&offset=``, answered as ``{"items": [...], "count": N, "count_exact": b}``.

``count`` counts at most :data:`COUNT_CAP` items: a street officer's or the city's whole history holds hundreds of
thousands of cases, and counting them all on every page cost more than the page (0.67 s for a street's cases at
10 M, docs/bench.md §2). Past the cap ``count`` is the cap and ``count_exact`` false; the pages go on all the same.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from linli.core.pagination import count_up_to

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Counting stops here (:func:`linli.core.pagination.count_up_to`).
COUNT_CAP = 10_000


class Pagination(LimitOffsetPagination):
    """Limit/offset paging: 50 items unless asked, at most 500 (a larger ``limit`` is a 422 naming ``limit``); the
    items counted up to :data:`COUNT_CAP`."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
        offset: int = Field(0, ge=0, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int = Field(description=f"How many items the list has, counted up to {COUNT_CAP}.")
        count_exact: bool = Field(description=f"false: the list has more than {COUNT_CAP} items (narrow it with its "
                                              "filters); the pages go on all the same.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(self, queryset, pagination: Input, request: HttpRequest, **params: Any) -> dict:
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        if isinstance(queryset, QuerySet):
            counted = count_up_to(queryset, COUNT_CAP, part=self.part(request, **params))
        else:
            counted = len(queryset)
        items = self.rows(request, offset, offset + limit, **params)
        return {"items": queryset[offset:offset + limit] if items is None else items,
                "count": min(counted, COUNT_CAP), "count_exact": counted <= COUNT_CAP}

    async def apaginate_queryset(self, queryset, pagination: Input, request: HttpRequest, **params: Any) -> dict:
        raise NotImplementedError("the API's views are synchronous")

    def rows(self, request: HttpRequest, bottom: int, top: int, **params: Any) -> list | None:
        """The page's items found another way than slicing the list (the same items in the same order), or None."""
        return None

    def part(self, request: HttpRequest, **params: Any) -> QuerySet | None:
        """Some of the list's items, counted first (``count_up_to``'s ``part``): a list whose whole is slow to count
        names one that is quick to count and, once past the cap, is all that is counted."""
        return None
