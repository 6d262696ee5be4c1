"""Excel export: the template's columns, only what the user's scope reaches, personal numbers masked, audited."""

import io

import openpyxl
import pytest
from django.urls import reverse

from linli.core.crypto import decrypt
from linli.core.models import AuditEvent
from linli.places import exports, selectors, services
from linli.places.imports import COLUMNS, Sheet
from linli.places.models import ImportKind, Merchant, PlaceKind, Resident, UnitUse
from linli.places.tests.factories import unit_in

pytestmark = pytest.mark.django_db

GRID1 = {"1", "2", "3", "4", "5"}


def export(client, compound, kind, query=""):
    response = client.get(reverse("places:export", args=[compound.pk, kind]) + query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    content = b"".join(response.streaming_content)
    return content, openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_residents_export_masks_every_id_and_phone_number(client_for, branch, demo):
    _content, ws = export(client_for(branch), demo, ImportKind.RESIDENTS)
    header, *data = rows(ws)
    assert list(header) == [c.header for c in COLUMNS[ImportKind.RESIDENTS]]
    residents = list(Resident.objects.filter(path__startswith=demo.path, is_current=True))
    assert len(data) == len(residents) > 1000
    cells = {str(v) for row in data for v in row if v is not None}
    secrets = {decrypt(r.id_number_encrypted) for r in residents} | {decrypt(r.phone_encrypted) for r in residents}
    secrets.discard("")
    assert secrets and not (cells & secrets)
    assert not any(secret in cell for cell in cells for secret in list(secrets)[:200])
    ids = header.index("证件号码 (ID number)")
    phones = header.index("手机号码 (mobile phone)")
    masked = {r.id_number_masked for r in residents}
    assert {row[ids] for row in data} <= masked | {None}
    assert all("*" in row[ids] for row in data if row[ids])
    assert all("****" in row[phones] for row in data if row[phones])


def test_merchants_export_masks_contact_phones(client_for, branch, demo):
    _content, ws = export(client_for(branch), demo, ImportKind.MERCHANTS)
    _header, *data = rows(ws)
    merchants = list(Merchant.objects.filter(path__startswith=demo.path, is_active=True))
    assert len(data) == len(merchants) == 75
    phones = {decrypt(m.contact_phone_encrypted) for m in merchants}
    cells = {str(v) for row in data for v in row if v is not None}
    assert not (cells & phones)
    assert {row[6] for row in data} == {m.contact_phone_masked for m in merchants}


def test_export_is_audited(client_for, branch, demo):
    export(client_for(branch), demo, ImportKind.RESIDENTS)
    event = AuditEvent.objects.filter(action="register.exported").latest("id")
    assert event.actor == branch and event.place_path == demo.path
    assert event.data["kind"] == "residents" and event.data["rows"] > 1000


def test_only_the_registers_desk_may_export(client_for, grid1, demo):
    """Export needs ``export_register`` (docs/permissions.md): a grid worker, a steward or the branch assistant gets
    403, and nothing is audited."""
    from linli.accounts.models import Role
    from linli.accounts.services import role_grant, user_create

    others = []
    for role in (Role.PROPERTY_STEWARD, Role.BRANCH_ASSISTANT):
        others.append(user_create(actor=None, username=f"x_{role}", password="a-long-test-password-1"))
        role_grant(actor=None, user=others[-1], role=role, place=demo)
    for user in (grid1, *others):
        response = client_for(user).get(reverse("places:export", args=[demo.pk, ImportKind.RESIDENTS]))
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="register.exported").exists()


def _exported(user, compound, kind):
    """The export as :func:`exports.export_register` writes it for ``user`` (whatever the page would allow)."""
    out, _count = exports.export_register(user=user, compound=compound, kind=kind)
    with out:
        return openpyxl.load_workbook(io.BytesIO(out.read()), read_only=True).worksheets[0]


@pytest.mark.parametrize("kind", ImportKind.values)
def test_an_export_holds_only_what_the_users_scope_reaches(grid1, demo, kind):
    _header, *data = rows(_exported(grid1, demo, kind))
    assert data
    assert {str(row[0]) for row in data} <= GRID1
    if kind == ImportKind.BUILDINGS:
        assert {row[0] for row in data} == GRID1
    if kind == ImportKind.RESIDENTS:
        assert len(data) == selectors.resident_search(user=grid1).count()


def test_grid2_export_has_none_of_grid1(grid2, demo):
    codes = {row[0] for row in rows(_exported(grid2, demo, ImportKind.UNITS))[1:]}
    assert codes == {"6", "7", "8", "9", "10"}


@pytest.mark.parametrize("kind", ImportKind.values)
def test_an_export_reads_back_with_the_template_headers(client_for, branch, demo, kind):
    content, _ws = export(client_for(branch), demo, kind)
    sheet = Sheet(io.BytesIO(content), kind)  # raises if a header were missing
    try:
        first = next(sheet.rows())
    finally:
        sheet.close()
    number, data, problems = first
    assert number == 2 and data["building_code"]
    if kind != ImportKind.RESIDENTS:  # a resident's masked ID number is, on purpose, not a valid one
        assert problems == []


def test_units_export_has_entrance_codes_and_blank_for_shops(client_for, branch, demo):
    _content, ws = export(client_for(branch), demo, ImportKind.UNITS, "?lang=en")
    data = rows(ws)[1:]
    shops = [r for r in data if r[4] == "Shop"]
    dwellings = [r for r in data if r[4] == "Dwelling"]
    assert len(shops) == 75 and len(dwellings) == 875
    assert all(r[1] in (None, "") for r in shops) and all(r[1] for r in dwellings)


def test_export_query_count_does_not_grow_with_rows(client_for, branch, demo, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(20):
        export(client, demo, ImportKind.RESIDENTS)


def test_text_that_looks_like_a_formula_is_exported_as_text(client_for, branch, demo):
    shop = unit_in(demo, "2", use=UnitUse.SHOP)
    services.merchant_register(actor=branch, unit=shop, name='=HYPERLINK("http://x","y")', trade="=1+1")
    content, _ws = export(client_for(branch), demo, ImportKind.MERCHANTS)
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


# --- scope ---------------------------------------------------------------------------------------------------------


def test_anonymous_export_redirects_to_login(client, demo):
    response = client.get(reverse("places:export", args=[demo.pk, ImportKind.RESIDENTS]))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.filter(action="register.exported").exists()


def test_export_of_a_compound_out_of_scope_is_404(client_for, branch, grid1, demo):
    other = services.place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER",
                                  name="别的小区")
    for user in (branch, grid1):  # out of scope is 404 whatever the role, before the permission
        response = client_for(user).get(reverse("places:export", args=[other.pk, ImportKind.BUILDINGS]))
        assert response.status_code == 404
    assert client_for(branch).get(reverse("places:export", args=[987654, ImportKind.UNITS])).status_code == 404
    assert not AuditEvent.objects.filter(action="register.exported").exists()


def test_unknown_export_kind_is_404(client_for, branch, demo):
    assert client_for(branch).get(f"/places/compounds/{demo.pk}/export/users.xlsx").status_code == 404


def test_the_import_page_offers_exports_only_to_those_who_may_export(client_for, branch, demo):
    from linli.accounts.models import Role
    from linli.accounts.services import role_grant, user_create

    assistant = user_create(actor=None, username="x_assistant", password="a-long-test-password-1")
    role_grant(actor=None, user=assistant, role=Role.BRANCH_ASSISTANT, place=demo)  # imports, may not export
    export_link = reverse("places:export", args=[demo.pk, ImportKind.RESIDENTS])
    page = reverse("places:import", args=[demo.pk])
    assert export_link in client_for(branch).get(page).content.decode()
    response = client_for(assistant).get(page)
    assert response.status_code == 200 and export_link not in response.content.decode()
