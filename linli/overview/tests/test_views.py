"""The compound overview: the seed's figures, computed live, within the viewer's scope."""

import re

import pytest
from django.urls import reverse

from linli.places.models import Occupancy, Place, PlaceKind
from linli.places.services import household_move_in
from linli.places.tests.factories import unit_in

pytestmark = pytest.mark.django_db

SEED_FIGURES = {
    "buildings": "10",
    "units": "875",
    "resident_households": "724",
    "rented_units": "276",
    "merchants": "75",
    "grids": "2",
    "area_m2": "50,491",
    "built_year": "2013",
}


def figures_on(html: str) -> dict[str, str]:
    cards = re.findall(r'data-figure="(\w+)"><div class="card-body p-2">\s*<div class="value">([^<]+)</div>', html)
    return dict(cards)


@pytest.mark.parametrize("who", ["secretary", "branch"])
def test_overview_shows_the_seed_figures(client_for, who, demo, request):
    user = request.getfixturevalue(who)
    response = client_for(user).get(reverse("overview:compound", args=[demo.pk]), follow=True)
    html = response.content.decode()
    shown = figures_on(html)
    for key, value in SEED_FIGURES.items():
        assert shown[key] == value, key
    assert int(shown["care_roster"]) >= 310
    # Its place in the tree.
    trail = html.split('data-testid="trail"')[1].split("</ol>")[0]
    assert [n in trail for n in ("青岛市", "崂山区", "沙子口街道", "山海社区", "龙泽书苑")] == [True] * 5


def test_home_sends_a_one_compound_user_to_it(client_for, branch, demo):
    response = client_for(branch).get(reverse("overview:home"))
    assert response.status_code == 302 and response["Location"] == reverse("overview:compound", args=[demo.pk])


def test_figures_are_live(client_for, branch, demo):
    vacant = unit_in(demo, "7", occupancy=Occupancy.VACANT)
    household_move_in(actor=branch, unit=vacant, occupancy=Occupancy.RENTED)
    shown = figures_on(client_for(branch).get(reverse("overview:compound", args=[demo.pk])).content.decode())
    assert shown["resident_households"] == "725" and shown["rented_units"] == "277"


def test_grid_worker_sees_the_figures_of_their_grid(client_for, grid1, demo):
    shown = figures_on(client_for(grid1).get(reverse("overview:compound", args=[demo.pk])).content.decode())
    assert shown["buildings"] == "5" and shown["grids"] == "1"
    units = Place.objects.filter(building__code__in=["1", "2", "3", "4", "5"], building__compound=demo,
                                 kind=PlaceKind.UNIT, use="dwelling").count()
    assert shown["units"] == str(units)


def test_overview_query_count_is_bounded(client_for, secretary, demo, django_assert_max_num_queries):
    client = client_for(secretary)
    with django_assert_max_num_queries(14):
        client.get(reverse("overview:compound", args=[demo.pk]))


def test_overview_in_english_when_switched(client_for, branch, demo):
    client = client_for(branch)
    zh = client.get(reverse("overview:compound", args=[demo.pk])).content.decode()
    assert "常住户" in zh
    en = client.get(reverse("overview:compound", args=[demo.pk]), {"lang": "en"}).content.decode()
    assert "Resident households" in en and "常住户" not in en
    # The choice sticks (cookie).
    assert "Resident households" in client.get(reverse("overview:compound", args=[demo.pk])).content.decode()


def test_out_of_scope_compound_is_404(client_for, django_user_model, demo):
    nobody = django_user_model.objects.create_user(username="nobody", password="x" * 12)
    assert client_for(nobody).get(reverse("overview:compound", args=[demo.pk])).status_code == 404
    assert client_for(nobody).get(reverse("overview:home")).status_code == 200


def test_anonymous_is_sent_to_sign_in(client, demo):
    for url in (reverse("overview:home"), reverse("overview:compound", args=[demo.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_import_and_export_button_shows_only_to_those_who_may_import(client_for, branch, grid1, demo):
    from linli.accounts.models import Role
    from linli.accounts.services import role_grant, user_create

    steward = user_create(actor=None, username="x_steward", password="a-long-test-password-1")
    role_grant(actor=None, user=steward, role=Role.PROPERTY_STEWARD, place=demo)  # covers the compound, may not import
    link = reverse("places:import", args=[demo.pk])
    assert link in client_for(branch).get(reverse("overview:compound", args=[demo.pk])).content.decode()
    for user in (grid1, steward):
        assert link not in client_for(user).get(reverse("overview:compound", args=[demo.pk])).content.decode()
