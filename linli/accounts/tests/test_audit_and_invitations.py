"""The audit log page (secretaries, scoped, searchable) and the invitation cards (grid workers, scoped)."""

import pytest
from django.urls import reverse

from linli.accounts.models import InvitationCode
from linli.core.audit import audit
from linli.core.models import AuditEvent
from linli.places.models import UnitUse
from linli.places.tests.factories import building, resident_in, unit_in

pytestmark = pytest.mark.django_db


def test_audit_log_is_for_secretaries_only(client_for, secretary, branch, grid1):
    assert client_for(grid1).get(reverse("audit:list")).status_code == 403
    assert client_for(branch).get(reverse("audit:list")).status_code == 200
    assert client_for(secretary).get(reverse("audit:list")).status_code == 200


def test_audit_log_search_by_actor_action_target_and_dates(client_for, branch, grid1, demo):
    resident = resident_in(demo, "3")
    client_for(grid1).get(reverse("places:resident", args=[resident.pk]))
    client = client_for(branch)
    html = client.get(reverse("audit:list"), {"actor": "grid1", "action": "resident.viewed",
                                              "target": f"places.resident:{resident.pk}"}).content.decode()
    table = html.split('data-testid="audit"')[1]
    assert table.count("<code>resident.viewed</code>") == 1
    assert "127.0.0.1" in table
    none = client.get(reverse("audit:list"), {"actor": "grid1", "from": "2001-01-01", "to": "2001-01-02"})
    assert "<code>resident.viewed</code>" not in none.content.decode().split('data-testid="audit"')[1]
    bad = client.get(reverse("audit:list"), {"from": "yesterday"}).content.decode()
    assert "YYYY-MM-DD" in bad


def test_audit_log_is_scoped_by_place(client_for, branch, demo):
    audit(actor=None, action="test.far_away", place_path="999999/")
    audit(actor=None, action="test.here", place_path=building(demo, "4").path)
    html = client_for(branch).get(reverse("audit:list"), {"action": "test."}).content.decode()
    assert "test.here" in html and "test.far_away" not in html


def test_audit_log_htmx_partial_and_query_count(client_for, branch, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit:list"), HTTP_HX_REQUEST="true")
    assert '<nav class="navbar' not in response.content.decode()
    with django_assert_max_num_queries(14):
        client.get(reverse("audit:list"))


def test_invitation_cards_one_per_dwelling_with_a_qr_code(client_for, grid1, demo, django_assert_max_num_queries):
    b = building(demo, "2")
    client = client_for(grid1)
    with django_assert_max_num_queries(20):
        html = client.get(reverse("accounts:invitation_print", args=[b.pk])).content.decode()
    dwellings = b.building_members.filter(kind="unit", use=UnitUse.DWELLING).count()
    assert html.count('data-testid="card"') == dwellings
    assert html.count("<svg") >= dwellings
    code = InvitationCode.objects.filter(unit__building=b, used_at__isnull=True, revoked_at__isnull=True).first()
    assert code.code in html
    assert AuditEvent.objects.filter(action="invitation.printed", actor=grid1).exists()


def test_invitation_cards_of_another_grid_are_404(client_for, grid1, demo):
    b7 = building(demo, "7")
    assert client_for(grid1).get(reverse("accounts:invitation_print", args=[b7.pk])).status_code == 404


def test_reissue_revokes_the_old_code(client_for, grid1, grid2, demo):
    unit = unit_in(demo, "3")
    old = InvitationCode.objects.get(unit=unit, used_at__isnull=True, revoked_at__isnull=True)
    response = client_for(grid1).post(reverse("accounts:invitation_reissue", args=[unit.pk]))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert InvitationCode.objects.filter(unit=unit, used_at__isnull=True, revoked_at__isnull=True).count() == 1
    assert client_for(grid2).post(reverse("accounts:invitation_reissue", args=[unit.pk])).status_code == 404
    assert client_for(grid1).get(reverse("accounts:invitation_reissue", args=[unit.pk])).status_code == 405
    assert client_for(grid2).get(reverse("accounts:invitation_reissue", args=[unit.pk])).status_code == 404


def test_demo_has_an_invitation_for_every_dwelling_and_resident_credentials(demo):
    import json

    from linli.core.demo import credentials_path
    from linli.places.models import Place

    dwellings = Place.objects.filter(compound=demo, kind="unit", use=UnitUse.DWELLING)
    active = InvitationCode.objects.filter(unit__in=dwellings, used_at__isnull=True, revoked_at__isnull=True)
    assert active.count() == dwellings.count() == 875
    residents = json.loads(credentials_path().read_text())["residents"]
    assert len(residents) == 2
    assert residents[0]["unit"].split("-")[0] != residents[1]["unit"].split("-")[0]
    assert all(len(r["phone"]) == 11 and len(r["invitation_code"]) == 8 for r in residents)
