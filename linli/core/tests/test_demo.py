"""The demo command: idempotent, and the credentials it writes work."""

import json

import pytest
from django.core.management import call_command

from linli.accounts.models import ApiToken, User
from linli.core.demo import credentials_path
from linli.places.models import Place, Resident

pytestmark = pytest.mark.django_db


def test_second_run_duplicates_nothing_and_keeps_tokens(settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = json.loads(credentials_path().read_text())
    counts = (Place.objects.count(), Resident.objects.count(), User.objects.count(), ApiToken.objects.count())
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    second = json.loads(credentials_path().read_text())
    assert counts == (Place.objects.count(), Resident.objects.count(), User.objects.count(),
                      ApiToken.objects.count())
    assert first == second
    roles = {u["role"] for u in first["users"]}
    assert {"community_secretary", "branch_secretary", "grid_worker"} <= roles
    for user in first["users"]:
        assert set(user) >= {"role", "username", "password", "token", "scope"}
        assert client.login(username=user["username"], password=user["password"])
        response = client.get("/api/v1/compounds/", HTTP_AUTHORIZATION=f"Bearer {user['token']}")
        assert response.status_code == 200
