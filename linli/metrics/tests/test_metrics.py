"""The metrics: rollups equal a count of the raw cases, the dashboard reads them within scope, Excel export."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.cases.models import Rating
from linli.cases.services import case_transition, feedback_record
from linli.metrics.models import HOUR_EDGES
from linli.metrics.selectors import Figures, breakdown, percentile
from linli.metrics.services import bucket, month_start, rollup_refresh

pytestmark = pytest.mark.django_db


def _closed_case(reported_case, branch, building="2", rating=Rating.SATISFIED):
    case = reported_case(building)
    for action in ("accept", "dispatch", "start", "resolve"):
        case = case_transition(actor=branch, case=case, action=action, note="ok")
    feedback_record(actor=branch, case=case, rating=rating, comment="" if rating != Rating.NOT_SATISFIED else "no",
                    source="phone_call")
    case.refresh_from_db()
    return case


def test_percentiles_from_a_histogram():
    hist = [0] * (len(HOUR_EDGES) + 1)
    for hours in (0.5, 1.5, 2.5, 3.5, 30):
        hist[bucket(hours)] += 1
    assert 2 <= percentile(hist, 0.5) <= 3
    assert 4 <= percentile(hist, 0.9) <= 30
    assert percentile([0, 0], 0.5) is None


def test_rollups_match_the_raw_cases_and_a_new_closure_is_counted(reported_case, branch):
    from linli.cases.models import Case

    rollup_refresh(full=True)
    month = month_start(timezone.now())
    before, _rows = breakdown(user=branch, by="month", start=month, end=month)
    raw = Case.objects.filter(path__startswith=branch.role_assignments.first().place.path,
                              created_at__gte=timezone.localtime().replace(day=1, hour=0, minute=0, second=0,
                                                                           microsecond=0))
    assert before.counts["reported"] == raw.count()
    assert before.counts["closed"] == raw.filter(state="closed").count()
    _closed_case(reported_case, branch)
    months = rollup_refresh()
    assert month in months
    after, _rows = breakdown(user=branch, by="month", start=month, end=month)
    assert after.counts["reported"] == before.counts["reported"] + 1
    assert after.counts["closed"] == before.counts["closed"] + 1
    assert after.counts["satisfied"] == before.counts["satisfied"] + 1
    assert after.median_hours is not None
    later = timezone.now() + dt.timedelta(minutes=5)
    rollup_refresh(now=later)
    assert rollup_refresh(now=later + dt.timedelta(minutes=5)) == []  # nothing changed since


def test_grid_worker_sees_only_their_grid(reported_case, branch, grid1, grid2):
    _closed_case(reported_case, branch, "7")
    rollup_refresh(full=True)
    month = month_start(timezone.now())
    mine = {r.label for r in breakdown(user=grid1, by="building", start=month, end=month)[1]}
    theirs = {r.label for r in breakdown(user=grid2, by="building", start=month, end=month)[1]}
    assert "7号楼" in theirs and "7号楼" not in mine
    assert all(label in {"1号楼", "2号楼", "3号楼", "4号楼", "5号楼"} for label in mine)


@pytest.mark.parametrize("reader", ["secretary", "branch", "grid1"])
@pytest.mark.parametrize("by", ["month", "category", "grid", "building", "handler"])
def test_dashboard_by_each_dimension_in_bounded_queries(client_for, branch, reported_case, by, reader,
                                                        django_assert_max_num_queries):
    from linli.accounts.models import User

    _closed_case(reported_case, branch)
    rollup_refresh(full=True)
    client = client_for(User.objects.get(username=reader))
    # session, user, roles (1-2), scope kinds, refresh state, the slice, its labels, the months, categories, buildings
    with django_assert_max_num_queries(12):
        response = client.get(reverse("metrics:dashboard"), {"by": by})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="satisfaction_rate"' in html and "vendor/echarts/dist/echarts.min.js" in html


@pytest.mark.parametrize("reader", ["secretary", "branch", "grid1"])
def test_export_in_bounded_queries(client_for, reader, django_assert_max_num_queries):
    from linli.accounts.models import User

    rollup_refresh(full=True)
    client = client_for(User.objects.get(username=reader))
    with django_assert_max_num_queries(17):  # five slices and their labels, the audit row
        assert client.get(reverse("metrics:export")).status_code == 200


def test_the_page_says_how_old_the_figures_are(client_for, branch):
    rollup_refresh(full=True, now=timezone.now() - dt.timedelta(minutes=3))
    client = client_for(branch)
    html = client.get(reverse("metrics:dashboard"), {"lang": "en"}).content.decode()
    assert "3\xa0minutes ago" in html and "being brought up to date" not in html
    # Older than five minutes: a refresh is asked for (the tests' task backend runs it at once).
    rollup_refresh(now=timezone.now() - dt.timedelta(minutes=9))
    html = client.get(reverse("metrics:dashboard"), {"lang": "en"}).content.decode()
    assert "less than a minute ago" in html and "being brought up to date" in html


def test_dashboard_and_export_need_a_scope(client, resident_account):
    user, _r = resident_account("2")
    client.force_login(user)
    assert client.get(reverse("metrics:dashboard")).status_code in (403, 404)
    assert client.get(reverse("metrics:export")).status_code in (403, 404)


def test_export_is_an_excel_workbook_with_a_sheet_per_dimension(client_for, branch, reported_case):
    from openpyxl import load_workbook

    _closed_case(reported_case, branch)
    rollup_refresh(full=True)
    response = client_for(branch).get(reverse("metrics:export"), {"lang": "en"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Month", "Category", "Grid", "Building", "Handler"]
    today = timezone.localdate()
    total, rows = breakdown(user=branch, by="month", start=(today.replace(day=1) - dt.timedelta(days=335)).replace(
        day=1), end=today.replace(day=1))
    for ws in wb.worksheets:
        last = [cell.value for cell in ws[ws.max_row]]
        # Every sheet ends with the same total: the dashboard's, counting the case closed above.
        assert last[0] == "Total" and last[1] == total.counts["reported"] >= 1
        assert last[3] == total.counts["closed"]
        assert last[6] == round(total.rate("satisfaction_rate"), 4) and ws.cell(ws.max_row, 7).number_format == "0.0%"
        assert last[10] == round(total.median_hours, 1)
    assert [c.value for c in wb["Month"]["A"][1:-1]] == [f.label for f in rows]
    assert [ws.cell(1, 1).value for ws in wb.worksheets] == wb.sheetnames  # each first column named by its slices
    # Every heading fits its column (Excel's default of 13 cut them off).
    month = wb["Month"]
    for cell in month[1]:
        heading = str(cell.value)
        width = month.column_dimensions[cell.column_letter].width
        assert width >= sum(2 if ord(ch) > 0x2E80 else 1 for ch in heading), heading


def test_a_month_range_typed_backwards_shows_the_months_between(client_for, branch, reported_case):
    _closed_case(reported_case, branch)
    rollup_refresh(full=True)
    today = timezone.localdate()
    ahead, back = today.strftime("%Y-%m"), (today.replace(day=1) - dt.timedelta(days=62)).strftime("%Y-%m")
    client = client_for(branch)
    forwards = client.get(reverse("metrics:dashboard"), {"start": back, "end": ahead}).content.decode()
    backwards = client.get(reverse("metrics:dashboard"), {"start": ahead, "end": back}).content.decode()
    assert "此期间没有案件" not in backwards
    reported = re.compile(r'data-figure="reported"><div class="value">(\d+)<')
    assert reported.findall(backwards) == reported.findall(forwards) and int(reported.findall(forwards)[0]) >= 1


def test_rates_are_none_without_a_denominator():
    assert Figures().rate("satisfaction_rate") is None and Figures().median_hours is None
    figures = Figures()
    figures.counts.update(rated=4, satisfied=3)
    assert figures.rate("satisfaction_rate") == 0.75 and figures.rate("resolution_rate") is None
    assert figures.rate_values == [None, None, 0.75, None, None, None]


def test_a_not_satisfied_first_verdict_stays_counted_after_rework(reported_case, branch):
    """Satisfaction counts the reporter's first rating: rework that later satisfies them does not erase it."""
    rollup_refresh(full=True)
    month = month_start(timezone.now())
    before, _rows = breakdown(user=branch, by="month", start=month, end=month)
    case = _closed_case(reported_case, branch, rating=Rating.NOT_SATISFIED)
    assert case.state == "reopened" and case.reopen_count == 1
    for action in ("dispatch", "start", "resolve"):
        case = case_transition(actor=branch, case=case, action=action, note="fixed again")
    feedback_record(actor=branch, case=case, rating=Rating.SATISFIED, comment="", source="phone_call")
    rollup_refresh()
    after, _rows = breakdown(user=branch, by="month", start=month, end=month)
    assert after.counts["rated"] == before.counts["rated"] + 1
    assert after.counts["satisfied"] == before.counts["satisfied"]
    assert after.counts["reworked"] == before.counts["reworked"] + 1


def test_a_building_outside_the_grid_shows_nothing(client_for, reported_case, branch, grid1, demo):
    from linli.places.tests.factories import building

    _closed_case(reported_case, branch, "7")
    rollup_refresh(full=True)
    seven = building(demo, "7")  # grid 2's
    month = month_start(timezone.now())
    assert breakdown(user=branch, by="month", start=month, end=month, building_id=seven.pk)[0].counts["reported"]
    assert breakdown(user=grid1, by="month", start=month, end=month, building_id=seven.pk)[0].counts == \
        Figures().counts
    html = client_for(grid1).get(reverse("metrics:dashboard"), {"building": seven.pk, "by": "building"}).content
    assert "7号楼".encode() not in html and f'value="{seven.pk}"'.encode() not in html


def test_a_long_breakdown_is_shown_a_page_at_a_time(client_for, branch, monkeypatch):
    """A street's or a city's breakdown by building has thousands of rows: the page shows a page of them, says how
    many there are, and pages on with the filters kept."""
    from linli.metrics import views

    rollup_refresh(full=True)
    client = client_for(branch)
    everything = client.get(reverse("metrics:dashboard"), {"by": "building", "lang": "en"}).content.decode()
    n_rows = everything.split('data-testid="breakdown"')[1].split("</tbody>")[0].count("<tr>") - 1  # less the head
    assert n_rows > 2  # the demo's history reaches several buildings
    monkeypatch.setattr(views, "BREAKDOWN_PAGE", 2)
    first = client.get(reverse("metrics:dashboard"), {"by": "building", "lang": "en"}).content.decode()
    assert first.split('data-testid="breakdown"')[1].split("</tbody>")[0].count("<tr>") - 1 == 2
    assert f"Rows 1–2 of {n_rows}" in first and "page=2" in first and "by=building" in first
    second = client.get(reverse("metrics:dashboard"), {"by": "building", "lang": "en", "page": 2}).content.decode()
    assert f"Rows 3–4 of {n_rows}" in second or f"Rows 3–3 of {n_rows}" in second


def test_buildings_are_listed_in_number_order(client_for, branch):
    rollup_refresh(full=True)
    html = client_for(branch).get(reverse("metrics:dashboard"), {"by": "building"}).content.decode()
    table = html.split('data-testid="breakdown"')[1]
    assert table.index(">2号楼</td>") < table.index(">10号楼</td>")  # not 1, 10, 2 …
