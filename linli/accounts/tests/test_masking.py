"""No unmasked ID or phone number in any page, export or API answer for a role without the reveal permission —
checked in the rendered output, against the plaintext of every resident and merchant in the viewer's scope."""

import io

import openpyxl
import pytest
from django.urls import reverse

from linli.core import crypto
from linli.places.models import ImportKind, Merchant, Resident
from linli.places.tests.factories import building, resident_in

pytestmark = pytest.mark.django_db


def _plaintexts(user) -> set[str]:
    """Every plaintext ID and phone number of the residents and merchants the user can reach."""
    from linli.core.scope import scope_q

    values = set()
    for r in Resident.objects.filter(scope_q(user)).only("id_number_encrypted", "phone_encrypted"):
        values.add(crypto.decrypt(r.id_number_encrypted))
        values.add(crypto.decrypt(r.phone_encrypted))
    for m in Merchant.objects.filter(scope_q(user)).only("contact_phone_encrypted"):
        values.add(crypto.decrypt(m.contact_phone_encrypted))
    values.discard("")
    assert len(values) > 500
    return values


def _assert_clean(body: str, secrets: set[str], where: str):
    leaked = [s for s in secrets if s in body]
    assert not leaked, f"{where}: plaintext personal numbers in the output: {leaked[:3]}"


def _pages(demo, resident):
    b = building(demo, "2")
    return [
        reverse("overview:home"),
        reverse("places:building", args=[b.pk]),
        reverse("places:unit", args=[resident.unit_id]),
        reverse("places:residents"),
        reverse("places:residents") + "?tag=care",
        reverse("places:residents") + "?q=" + resident.name,
        reverse("places:resident", args=[resident.pk]),
        reverse("places:merchants"),
        reverse("places:grids"),
        reverse("notify:inbox"),
        reverse("accounts:two_factor"),
        reverse("accounts:invitation_print", args=[b.pk]),
    ]


@pytest.mark.parametrize("username", ["grid1", "grid2"])
def test_pages_show_no_plaintext_number(client, demo, username):
    from linli.accounts.models import User

    user = User.objects.get(username=username)
    secrets = _plaintexts(user)
    client.force_login(user)
    resident = resident_in(demo, "2" if username == "grid1" else "7")
    for url in _pages(demo, resident):
        if username == "grid2" and "/buildings/" in url or username == "grid2" and "invitations" in url:
            continue  # building 2 is grid 1's
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), secrets, url)


def test_api_answers_show_no_plaintext_number(client_for, grid1, demo):
    secrets = _plaintexts(grid1)
    client = client_for(grid1)
    resident = resident_in(demo, "2")
    merchant = Merchant.objects.filter(unit__building__code="1", unit__compound=demo).first()
    for url in ["/api/v1/residents/?limit=500", "/api/v1/residents/?limit=500&offset=500",
                f"/api/v1/residents/{resident.pk}/", "/api/v1/merchants/?limit=500",
                f"/api/v1/merchants/{merchant.pk}/", "/api/v1/households/?limit=500", "/api/v1/compounds/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), secrets, url)


@pytest.mark.parametrize("kind", [ImportKind.RESIDENTS, ImportKind.MERCHANTS, ImportKind.HOUSEHOLDS])
def test_exports_show_no_plaintext_number(client_for, branch, demo, kind):
    secrets = _plaintexts(branch)
    response = client_for(branch).get(reverse("places:export", args=[demo.pk, kind]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                     if c is not None)
    _assert_clean(cells, secrets, f"export {kind}")


def test_resident_portal_shows_no_plaintext_number(client, resident_a, resident_user):
    household = Resident.objects.filter(household=resident_a.household)
    secrets = {crypto.decrypt(v) for r in household for v in (r.phone_encrypted, r.id_number_encrypted)} - {""}
    client.force_login(resident_user(resident_a))
    _assert_clean(client.get(reverse("me:home")).content.decode(), secrets, "/me/")


def test_audit_log_shows_no_plaintext_number(client, client_for, branch, demo, resident_a, phone_of):
    # Sign-in code requests and failed claims record the phone — masked.
    client.post(reverse("me:sign_in"), {"phone": phone_of(resident_a)})
    client.post(reverse("me:claim"), {"code": "ABCDEFGH", "phone": phone_of(resident_a)})
    client_for(branch)
    secrets = _plaintexts(branch)
    body = client.get(reverse("audit:list")).content.decode()
    assert resident_a.phone_masked in body
    _assert_clean(body, secrets, "/audit/")


def test_the_raw_columns_hold_no_plaintext(demo, resident_a):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM places_resident WHERE id = %s", [resident_a.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT * FROM notify_outboundmessage")
        outbox = " ".join(str(v) for r in cursor.fetchall() for v in r)
    for value in (crypto.decrypt(resident_a.phone_encrypted), crypto.decrypt(resident_a.id_number_encrypted)):
        assert value not in row and value not in outbox
