import pytest


@pytest.fixture
def outsider(db, demo):
    """The branch secretary of another compound of the same community: reaches nothing of 龙泽书苑."""
    from linli.accounts.models import Role
    from linli.accounts.services import role_grant, user_create
    from linli.places.models import PlaceKind
    from linli.places.services import place_create

    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER", name="别的小区")
    user = user_create(actor=None, username="outsider", password="x-outsider-1", display_name="外人")
    role_grant(actor=None, user=user, role=Role.BRANCH_SECRETARY, place=other)
    return user


@pytest.fixture
def teams(demo):
    from linli.org.models import StewardTeam

    return {t.kind: t for t in StewardTeam.objects.filter(compound=demo)}
