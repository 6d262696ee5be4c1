"""Excel import: templates, a good file per kind, the row-by-row report, all-or-nothing, and scope."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.core import idnumbers
from linli.core.models import AuditEvent
from linli.places import selectors, services
from linli.places.imports import COLUMNS
from linli.places.models import (
    Household,
    ImportJob,
    ImportKind,
    ImportStatus,
    Occupancy,
    Place,
    PlaceKind,
    Resident,
    UnitUse,
)
from linli.places.tests.factories import building, resident_in, unit_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def headers(kind: str) -> list[str]:
    return [c.header for c in COLUMNS[kind]]


def xlsx(rows: list[list], kind: str | None = None, header: list[str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header if header is not None else headers(kind))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post_import(client, compound, kind, content: bytes, name="register.xlsx", capture=None, query=""):
    url = reverse("places:import", args=[compound.pk]) + query
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    if capture is None:
        return client.post(url, {"kind": kind, "file": upload})
    with capture(execute=True):
        return client.post(url, {"kind": kind, "file": upload})


@pytest.fixture
def run(client_for, branch, demo, django_capture_on_commit_callbacks):
    """``run(kind, rows)``: upload a file as the branch secretary and return the finished job."""

    def go(kind, rows=None, content=None, name="register.xlsx", client=None, query=""):
        client = client or client_for(branch)
        content = content if content is not None else xlsx(rows, kind)
        response = post_import(client, demo, kind, content, name, django_capture_on_commit_callbacks, query)
        assert response.status_code == 302, response.content.decode()[:2000]
        job = ImportJob.objects.latest("id")
        assert response.url == reverse("places:import_job", args=[job.pk])
        return job

    return go


def vacant_units(compound, building_code: str, n: int) -> list[Place]:
    b = building(compound, building_code)
    return list(Place.objects.filter(building=b, kind=PlaceKind.UNIT, use=UnitUse.DWELLING,
                                     occupancy=Occupancy.VACANT).select_related("parent").order_by("path")[:n])


def address(unit: Place) -> list[str]:
    entrance = unit.parent.code if unit.parent.kind == PlaceKind.ENTRANCE else ""
    return [unit.building.code, entrance, unit.code]


def messages(job) -> list[str]:
    return [e["message"] for e in job.errors]


# --- good files ----------------------------------------------------------------------------------------------------


def test_import_buildings_creates_them_and_audits_once(run, branch, demo):
    job = run(ImportKind.BUILDINGS, [["11", "11号楼", 18], [12, None, "12"]])
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 2 and job.total_rows == 2 and job.processed_rows == 2
    buildings = {b.code: b for b in selectors.building_list(user=branch, compound=demo)}
    assert buildings["11"].name == "11号楼" and buildings["11"].floors == 18
    assert buildings["12"].floors == 12 and buildings["12"].building_id == buildings["12"].pk
    event = AuditEvent.objects.get(action="register.imported", target_id=str(job.pk))
    assert event.actor == branch and event.data["created"] == 2 and event.place_path == demo.path
    assert not job.file  # the uploaded workbook (plain personal data) is not kept


def test_import_units_creates_missing_entrances_and_shops(run, branch, demo):
    rows = [
        ["1", "3", "201", 2, "住宅", 89.5],
        ["1", "3", "202", "2", "dwelling", "96㎡"],
        ["1", "1", "9901", 99, "Dwelling", None],
        ["1", "", "S20", 1, "商铺", 45],
    ]
    job = run(ImportKind.UNITS, rows)
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 4
    b1 = building(demo, "1")
    entrance = Place.objects.get(parent=b1, kind=PlaceKind.ENTRANCE, code="3")
    assert entrance.name == "3单元" and entrance.compound_id == demo.pk
    units = {u.code: u for u in selectors.unit_list(user=branch, building=b1).filter(code__in=["201", "202", "9901",
                                                                                                "S20"])}
    assert set(units) == {"201", "202", "9901", "S20"}
    assert units["201"].parent_id == entrance.pk and units["201"].occupancy == Occupancy.VACANT
    assert str(units["202"].area_m2) == "96.00"
    assert units["S20"].parent_id == b1.pk and units["S20"].use == UnitUse.SHOP
    assert units["S20"].occupancy == Occupancy.SHOP and units["S20"].building_id == b1.pk


def test_import_households_moves_them_in(run, branch, demo):
    u1, u2 = vacant_units(demo, "2", 2)
    rows = [[*address(u1), "出租", "2024-03-01", "合租"], [*address(u2), "owner_occupied", dt.date(2023, 5, 6), None]]
    job = run(ImportKind.HOUSEHOLDS, rows)
    assert job.status == ImportStatus.DONE, job.errors
    households = {h.unit_id: h for h in selectors.household_list(user=branch).filter(unit__in=[u1, u2])}
    assert households[u1.pk].occupancy == Occupancy.RENTED and households[u1.pk].started_on == dt.date(2024, 3, 1)
    assert households[u1.pk].note == "合租"
    assert households[u2.pk].occupancy == Occupancy.OWNER_OCCUPIED
    u1.refresh_from_db()
    assert u1.occupancy == Occupancy.RENTED


def test_import_residents_attaches_them_to_the_current_household(run, branch, demo):
    unit = resident_in(demo, "3").unit
    born = dt.date(1940, 2, 3)
    id1 = idnumbers.make("370212", born, 901)
    id2 = idnumbers.make("370212", dt.date(1990, 7, 8), 902)
    rows = [
        [*address(unit), "赵桂兰", "女", None, "身份证", id1, "13912345678", "配偶", "户籍", None, "独居、慢性病"],
        [*address(unit), "Zhao Ming", "M", "1990-07-08", "", id2.lower(), 13912345679, "child", "流动", "2020/1/5",
         "party_in_service"],
    ]
    job = run(ImportKind.RESIDENTS, rows)
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 2
    found = selectors.resident_search(user=branch, q=id1).get()
    assert found.unit_id == unit.pk and found.household.is_current
    assert found.birth_date == born and found.gender == "F" and found.relation == "spouse"
    assert sorted(found.tag_values) == ["chronic_illness", "living_alone"]
    assert found.phone_masked == "139****5678"
    second = selectors.resident_search(user=branch, q=id2).get()
    assert second.registration == "floating" and second.moved_in_on == dt.date(2020, 1, 5)


def test_import_merchants_registers_them_in_shop_units(run, branch, demo):
    shop = unit_in(demo, "1", use=UnitUse.SHOP)
    rows = [["1", shop.code, "山海咖啡", "咖啡", "91370212MA12345678", "周敏", "0532-88886666", "2024-04-18"]]
    job = run(ImportKind.MERCHANTS, rows)
    assert job.status == ImportStatus.DONE, job.errors
    merchant = selectors.merchant_list(user=branch, q="山海咖啡").get()
    assert merchant.unit_id == shop.pk and merchant.opened_on == dt.date(2024, 4, 18)
    assert merchant.contact_phone_masked.startswith("053") and "8888" not in merchant.contact_phone_masked


# --- the report: every problem, nothing written --------------------------------------------------------------------


def test_errors_in_several_rows_are_all_reported_and_nothing_is_written(run, demo):
    unit = resident_in(demo, "3").unit
    taken = resident_in(demo, "4")
    from linli.core.crypto import decrypt

    taken_id = decrypt(taken.id_number_encrypted)
    vacant = vacant_units(demo, "3", 1)[0]
    good_id = idnumbers.make("370212", dt.date(1980, 1, 1), 911)
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    base = [*address(unit)]
    rows = [
        [*base, "甲", "男", None, None, good_id, None, "户主", "户籍", None, None],  # row 2: fine
        [*base, "乙", "男", None, None, bad_id, None, "子女", "户籍", None, None],  # row 3: check digit
        ["99", "1", "101", "丙", "男", None, None, None, None, "子女", "户籍", None, None],  # row 4: no building
        [*base, None, "男", None, None, None, None, "子女", "户籍", None, None],  # row 5: no name
        [*base, "丁", "女", None, None, good_id, None, "子女", "户籍", None, None],  # row 6: same ID as row 2
        [*address(vacant), "戊", "女", None, None, None, None, "户主", "户籍", None, None],  # row 7: no household
        [*base, "己", "女", None, None, taken_id, None, "子女", "户籍", None, None],  # row 8: already registered
        [*base, "庚", "X", "1990-13-01", None, None, "12345", "子女", "户籍", None, "vip"],  # row 9: three cells
    ]
    before = (Resident.objects.count(), AuditEvent.objects.count())
    job = run(ImportKind.RESIDENTS, rows, query="?lang=en")
    assert job.status == ImportStatus.FAILED
    assert (Resident.objects.count(), AuditEvent.objects.count()) == before
    found = [(e["row"], e["column"]) for e in job.errors]
    assert found == [
        (3, "ID number"), (4, "Building code"), (5, "Full name"), (6, "ID number"), (7, "Unit code"), (8, "ID number"),
        (9, "Gender"), (9, "Date of birth"), (9, "Tags"),
    ]
    text = messages(job)
    assert text[0].startswith("Row 3, “ID number”: ") and "not a valid resident ID number" in text[0]
    assert "There is no building “99”" in text[1]
    assert "A value is required." in text[2]
    assert "Already given in row 2 of this file." in text[3]
    assert "has no current household" in text[4]
    assert "already registered" in text[5]
    assert "“X” is not one of" in text[6] and "not a date" in text[7] and "Unknown tag “vip”" in text[8]
    assert job.processed_rows == 8 and not job.file


def test_report_page_lists_row_column_and_message(client_for, run, branch, demo):
    job = run(ImportKind.BUILDINGS, [["1", "一号楼", 16], ["11", "", "many"]], query="?lang=en")
    assert job.status == ImportStatus.FAILED
    html = client_for(branch).get(reverse("places:import_job", args=[job.pk]) + "?lang=en").content.decode()
    assert 'data-testid="import-errors"' in html
    assert "Row 2, “Building code”: “1” already exists here." in html
    assert "Row 3, “Floors”: “many” is not a whole number." in html
    assert "hx-trigger" not in html  # finished: no more polling


def test_a_failure_while_writing_leaves_nothing_half_written(run, demo, monkeypatch):
    u1, u2 = vacant_units(demo, "5", 2)
    real = services.household_move_in
    calls = []

    def flaky(**kw):
        calls.append(kw["unit"].pk)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(services, "household_move_in", flaky)
    before = Household.objects.count()
    job = run(ImportKind.HOUSEHOLDS, [[*address(u1), "出租", None, None], [*address(u2), "自住", None, None]],
              query="?lang=en")
    assert calls == [u1.pk, u2.pk]  # the first one was written, then rolled back
    assert job.status == ImportStatus.FAILED
    assert "unexpected error" in job.errors[0]["message"] and "nothing was written" in job.errors[0]["message"]
    assert Household.objects.count() == before
    u1.refresh_from_db()
    assert u1.occupancy == Occupancy.VACANT
    assert not AuditEvent.objects.filter(action="register.imported", target_id=str(job.pk)).exists()


def test_duplicate_rows_inside_one_file_are_reported(run, demo):
    u1 = vacant_units(demo, "6", 1)[0]
    job = run(ImportKind.HOUSEHOLDS, [[*address(u1), "出租", None, None], [*address(u1), "自住", None, None]],
              query="?lang=en")
    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": 3, "column": "Unit code",
                           "message": "Row 3, “Unit code”: Already given in row 2 of this file."}]


def test_service_rules_are_reported_at_their_column(run, demo):
    shop = unit_in(demo, "1", use=UnitUse.SHOP)
    lived_in = resident_in(demo, "7").unit
    rows = [["1", "", shop.code, "出租", None, None], [*address(lived_in), "自住", None, None]]
    job = run(ImportKind.HOUSEHOLDS, rows, query="?lang=en")
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "Unit code"), (3, "Unit code")]
    assert "A shop unit holds merchants, not households." in job.errors[0]["message"]
    assert "already has a household" in job.errors[1]["message"]


# --- files that are not what they should be ------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(("name", "content"), [
    ("notes.txt", "楼栋编号,名称\n1,一号楼\n".encode()),
    ("photo.xlsx", PNG),
])
def test_a_file_that_is_not_a_workbook_is_rejected(run, name, content):
    job = run(ImportKind.BUILDINGS, content=content, name=name, query="?lang=en")
    assert job.status == ImportStatus.FAILED
    assert messages(job) == ["This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                             "“Excel workbook (*.xlsx)” and upload it again."]


def test_a_zip_that_is_not_a_workbook_and_an_old_xls_are_rejected(run):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    job = run(ImportKind.BUILDINGS, content=buf.getvalue(), query="?lang=en")
    assert "not an Excel workbook" in messages(job)[0]
    job = run(ImportKind.BUILDINGS, content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, name="old.xls",
              query="?lang=en")
    assert "Excel 97–2003" in messages(job)[0]


def test_an_empty_upload_is_refused_before_anything_is_saved(client_for, branch, demo):
    response = post_import(client_for(branch), demo, ImportKind.BUILDINGS, b"", query="?lang=en")
    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_sheet_without_rows_is_rejected(run):
    job = run(ImportKind.BUILDINGS, [], query="?lang=en")
    assert messages(job) == ["The sheet has headers but no data rows."]
    job = run(ImportKind.BUILDINGS, content=xlsx([], header=[]), query="?lang=en")
    assert "The first sheet is empty" in messages(job)[0]


def test_blank_rows_are_skipped(run, demo):
    job = run(ImportKind.BUILDINGS, [[None, None, None], ["21", "", 9], ["  ", None, None]])
    assert job.status == ImportStatus.DONE and job.created_count == 1


def test_wrong_headers_name_the_missing_columns(run):
    job = run(ImportKind.RESIDENTS, content=xlsx([["1", "1", "101"]], header=headers(ImportKind.HOUSEHOLDS)),
              query="?lang=en")
    assert job.status == ImportStatus.FAILED
    (message,) = messages(job)
    assert message.startswith("The first row does not match the template for Residents; missing columns: ")
    assert "姓名 (name)" in message and "证件号码 (ID number)" in message
    assert "楼栋编号 (building code)" not in message


def test_headers_may_be_just_the_chinese_or_english_part_in_any_order(run, demo):
    job = run(ImportKind.BUILDINGS, content=xlsx([[14, "31", "三十一号楼"]], header=["Floors", "楼栋编号", "name"]))
    assert job.status == ImportStatus.DONE, job.errors
    assert Place.objects.get(parent=demo, code="31").floors == 14


def test_too_many_rows_is_refused_with_a_clear_message(run, settings):
    settings.LINLI_IMPORT_MAX_ROWS = 3
    job = run(ImportKind.BUILDINGS, [[str(40 + i), "", 10] for i in range(5)], query="?lang=en")
    assert job.status == ImportStatus.FAILED
    assert messages(job) == ["The file has more than 3 rows; split it into smaller files."]
    assert not Place.objects.filter(code="40", kind=PlaceKind.BUILDING).exists()


def test_too_big_a_file_is_refused_before_it_is_saved(client_for, branch, demo, settings):
    settings.LINLI_IMPORT_MAX_BYTES = 1000
    content = xlsx([[str(i), "", 10] for i in range(50)], ImportKind.BUILDINGS)
    response = post_import(client_for(branch), demo, ImportKind.BUILDINGS, content, query="?lang=en")
    assert response.status_code == 400
    assert "the largest file that can be imported is 1000" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_worker_also_refuses_too_big_a_file(run, settings, monkeypatch):
    from linli.places import views_io

    monkeypatch.setattr(views_io.ImportForm, "clean_file", lambda self: self.cleaned_data["file"])
    settings.LINLI_IMPORT_MAX_BYTES = 1000
    job = run(ImportKind.BUILDINGS, [[str(i), "", 10] for i in range(50)], query="?lang=en")
    assert "the largest file that can be imported is" in messages(job)[0]


# --- language ------------------------------------------------------------------------------------------------------


def test_the_report_is_in_english_when_the_language_is_english(client_for, branch, run):
    client = client_for(branch)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    job = run(ImportKind.BUILDINGS, [["1", "", 16]], client=client)
    assert job.language == "en"
    assert messages(job) == ["Row 2, “Building code”: “1” already exists here."]


def test_the_report_follows_the_default_language(run, branch):
    job = run(ImportKind.BUILDINGS, [["1", "", 16]])
    assert job.language == "zh-hans"
    from django.utils import translation

    with translation.override("zh-hans"):
        expected = translation.gettext("Row %(row)s, “%(column)s”: %(message)s") % {
            "row": 2, "column": translation.gettext("Building code"),
            "message": translation.gettext("“%(code)s” already exists here.") % {"code": "1"}}
    assert messages(job) == [expected]


# --- the job page --------------------------------------------------------------------------------------------------


def test_a_running_job_polls_its_progress_with_htmx(client_for, branch, demo):
    job = ImportJob.objects.create(compound=demo, created_by=branch, kind=ImportKind.RESIDENTS,
                                   original_filename="a.xlsx", status=ImportStatus.VALIDATING, total_rows=1000,
                                   processed_rows=400)
    client = client_for(branch)
    url = reverse("places:import_job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page and 'style="width: 40%"' in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="import-progress"' in partial and 'hx-trigger="every 1s"' in partial
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, created_count=1000)
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and 'style="width: 100%"' in partial


def test_import_page_offers_templates_and_exports(client_for, branch, demo):
    html = client_for(branch).get(reverse("places:import", args=[demo.pk])).content.decode()
    for kind in ImportKind.values:
        assert reverse("places:import_template", args=[kind]) in html
        assert reverse("places:export", args=[demo.pk, kind]) in html
    assert 'enctype="multipart/form-data"' in html


# --- templates -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ImportKind.values)
def test_template_download_opens_with_the_right_headers(client_for, grid1, kind):
    response = client_for(grid1).get(reverse("places:import_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    data, example = wb.worksheets
    assert [c.value for c in data[1]] == headers(kind)
    assert data.max_row == 1 or all(c.value is None for row in data.iter_rows(min_row=2) for c in row)
    assert [c.value for c in example[1]] == headers(kind)
    assert example.max_row >= 2


def test_template_has_choice_lists(client_for, branch):
    response = client_for(branch).get(reverse("places:import_template", args=[ImportKind.UNITS]) + "?lang=en")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"Dwelling,Shop"' in formulas


def test_the_example_rows_of_the_buildings_template_import(client_for, run, branch):
    content = client_for(branch).get(reverse("places:import_template", args=[ImportKind.BUILDINGS])).content
    wb = openpyxl.load_workbook(io.BytesIO(content))
    wb.remove(wb.worksheets[0])  # the example sheet becomes the first
    out = io.BytesIO()
    wb.save(out)
    job = run(ImportKind.BUILDINGS, content=out.getvalue())
    assert job.status == ImportStatus.DONE, job.errors


def test_unknown_template_kind_is_404(client_for, branch):
    assert client_for(branch).get("/places/templates/passwords.xlsx").status_code == 404


# --- scope ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def other_compound(demo):
    return services.place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER",
                                 name="别的小区")


def test_grid_worker_cannot_open_or_post_the_import_page(client_for, grid1, demo, django_capture_on_commit_callbacks):
    client = client_for(grid1)
    assert client.get(reverse("places:import", args=[demo.pk])).status_code == 404
    response = post_import(client, demo, ImportKind.BUILDINGS, xlsx([["51", "", 5]], ImportKind.BUILDINGS),
                           capture=django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert not ImportJob.objects.exists()
    assert not Place.objects.filter(code="51", parent=demo).exists()


@pytest.mark.parametrize("who", ["grid1", "branch_elsewhere"])
def test_the_import_service_itself_refuses_who_the_desk_refuses(who, grid1, branch, demo, other_compound):
    """Not only the view: a command or any other caller of the service cannot start an import the desk refuses."""
    from linli.core.errors import ApplicationError
    from linli.places.imports import import_start

    actor, compound = (grid1, demo) if who == "grid1" else (branch, other_compound)
    upload = SimpleUploadedFile("register.xlsx", xlsx([["71", "", 5]], ImportKind.BUILDINGS))
    with pytest.raises(ApplicationError) as refused:
        import_start(actor=actor, compound=compound, kind=ImportKind.BUILDINGS, upload=upload, language="zh-hans")
    assert refused.value.code == "forbidden"
    assert not ImportJob.objects.exists()


def test_import_into_a_compound_out_of_scope_is_404(client_for, branch, other_compound):
    client = client_for(branch)
    assert client.get(reverse("places:import", args=[other_compound.pk])).status_code == 404
    response = post_import(client, other_compound, ImportKind.BUILDINGS, xlsx([["1", "", 5]], ImportKind.BUILDINGS))
    assert response.status_code == 404
    assert client.get(reverse("places:import", args=[987654])).status_code == 404


def test_community_secretary_may_import(client_for, secretary, demo, run):
    job = run(ImportKind.BUILDINGS, [["61", "", 6]], client=client_for(secretary))
    assert job.status == ImportStatus.DONE and job.created_by == secretary


def test_job_page_is_only_for_users_with_the_compound_in_scope(client, client_for, run, branch, secretary, grid1,
                                                               grid2):
    job = run(ImportKind.BUILDINGS, [["71", "", 7]])
    url = reverse("places:import_job", args=[job.pk])
    assert client_for(branch).get(url).status_code == 200
    assert client_for(secretary).get(url).status_code == 200
    assert client_for(grid1).get(url).status_code == 404
    assert client_for(grid2).get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert client_for(branch).get(reverse("places:import_job", args=[job.pk + 1000])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, demo):
    job = ImportJob.objects.create(compound=demo, created_by_id=1, kind=ImportKind.UNITS, original_filename="a.xlsx")
    for url in (reverse("places:import", args=[demo.pk]), reverse("places:import_job", args=[job.pk]),
                reverse("places:import_template", args=[ImportKind.UNITS])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login")), url
    response = post_import(client, demo, ImportKind.BUILDINGS, xlsx([["81", "", 5]], ImportKind.BUILDINGS))
    assert response.status_code == 302 and ImportJob.objects.count() == 1
