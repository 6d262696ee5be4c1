"""Paging for every list endpoint: ``?limit=&offset=``, answered as ``{"items": [...], "count": N}``."""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Pagination(LimitOffsetPagination):
    """Limit/offset paging: 50 items unless asked, at most 500 (a larger ``limit`` is a 422 naming ``limit``)."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
        offset: int = Field(0, ge=0, description="Items to skip.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
