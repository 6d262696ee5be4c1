"""One way to page through a list, for pages (the API uses Ninja's pagination)."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """Return the requested page of ``queryset``; a bad or too-large page number gives the last page."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))
