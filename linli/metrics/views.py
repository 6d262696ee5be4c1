"""The metrics dashboard (a desk page) and its Excel export: thin, everything from :mod:`linli.metrics.selectors`."""

import datetime as dt
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from linli.accounts.permissions import VIEW_METRICS, has_perm
from linli.core.audit import audit
from linli.core.pagination import paginate
from linli.metrics import selectors
from linli.metrics.selectors import DIMENSIONS, RATES

#: Rows of a breakdown per page of the dashboard.
BREAKDOWN_PAGE = 100


def _month(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return None


def _filters(request) -> dict:
    today = timezone.localdate()
    default_start = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    start = _month(request.GET.get("start", "")) or default_start
    end = _month(request.GET.get("end", "")) or today.replace(day=1)
    if start > end:  # typed the wrong way round: the months between them are what was meant
        start, end = end, start
    filters = {"start": start, "end": end}
    for name in ("category", "building"):
        if request.GET.get(name, "").isdigit():
            filters[f"{name}_id"] = int(request.GET[name])
    return filters


def _by(request) -> str:
    by = request.GET.get("by", "month")
    return by if by in DIMENSIONS else "month"


@login_required
def dashboard(request):
    from linli.cases.models import Category

    if not has_perm(request.user, VIEW_METRICS):
        raise PermissionDenied
    from linli.metrics.tasks import refresh_if_stale

    refreshed_at = selectors.refreshed_at()
    refresh_asked = refresh_if_stale(refreshed_at)
    if refresh_asked:  # run at once by an immediate task backend, else by the worker within seconds
        refreshed_at = selectors.refreshed_at()
    filters = _filters(request)
    by = _by(request)
    total, rows = selectors.breakdown(user=request.user, by=by, **filters)
    _t, months = selectors.breakdown(user=request.user, by="month", **filters) if by != "month" else (total, rows)
    chart = {
        "months": [f.label for f in months],
        "series": [{"name": str(label), "data": [None if f.rate(key) is None else round(100 * f.rate(key), 1)
                                                  for f in months]} for key, label, *_r in RATES],
        "reported": [f.counts["reported"] for f in months],
        "reported_label": _("Reported"),
    }
    return render(request, "metrics/dashboard.html", {
        # A city's breakdown by building or handler has thousands of rows: the page shows them a hundred at a time
        # (the Excel export has them all).
        "total": total, "page": paginate(request, rows, per_page=BREAKDOWN_PAGE), "by": by,
        "dimensions": DIMENSIONS.items(), "rates": RATES,
        "start": filters["start"], "end": filters["end"],
        "category": filters.get("category_id"), "building": filters.get("building_id"),
        "categories": Category.objects.filter(is_active=True),
        "buildings": selectors.building_choices(user=request.user),
        "chart": chart, "refreshed_at": refreshed_at, "refresh_asked": refresh_asked,
        "age_seconds": int((timezone.now() - refreshed_at).total_seconds()) if refreshed_at else None,
    })


@login_required
def export(request):
    """The dashboard's table (every dimension on its own sheet) as an Excel workbook, written as it goes."""
    if not has_perm(request.user, VIEW_METRICS):
        raise PermissionDenied
    filters = _filters(request)
    wb = Workbook(write_only=True)
    header = [_("Slice"), _("Reported"), _("Valid"), _("Closed"), *[str(label) for _k, label, *_r in RATES],
              _("Median hours to close"), _("90th percentile hours to close")]
    slices = selectors.breakdowns(user=request.user, dimensions=DIMENSIONS, **filters)
    for by, label in DIMENSIONS.items():
        total, rows = slices[by]
        ws = wb.create_sheet(str(label)[:31])
        for i, value in enumerate(header):  # wide enough for its heading (a Chinese character counts twice)
            ws.column_dimensions[get_column_letter(i + 1)].width = 28 if i == 0 else max(10, _display_width(value) + 2)
        # the first column holds the sheet's own slices: named by them (月份, 类别…), not "Slice"
        ws.append([_cell(ws, value, bold=True) for value in [str(label), *header[1:]]])
        for f in [*rows, total]:
            rates = [_cell(ws, None if r is None else round(r, 4), number_format="0.0%") for r in f.rate_values]
            ws.append([f.label, f.counts["reported"], f.counts["valid"], f.counts["closed"], *rates,
                       None if f.median_hours is None else round(f.median_hours, 1),
                       None if f.p90_hours is None else round(f.p90_hours, 1)])
    buffer = io.BytesIO()
    wb.save(buffer)
    audit(actor=request.user, action="metrics.exported",
          data={"start": filters["start"].isoformat(), "end": filters["end"].isoformat()})
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"linli-metrics-{filters['start']:%Y%m}-{filters['end']:%Y%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _display_width(text) -> int:
    """How many Latin characters wide ``text`` shows in a spreadsheet: Chinese characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _cell(ws, value, *, bold: bool = False, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if bold:
        cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell
