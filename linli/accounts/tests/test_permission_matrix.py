"""The permission matrix (docs/permissions.md) is the map in linli/accounts/permissions.py; every URL of Linli is in
the map or in its explicit list of public and self-only pages; and every role × every view and endpoint behaves as
the map says: in reach and holding the permission, the page's answer; in reach without it, 403; out of scope, 404 —
and a refused POST writes nothing.

The world (one user per role, objects inside and outside every scope) is built once for the module, inside a
transaction rolled back at its end; each test loops over the roles and reports every mismatch at once.
"""

from pathlib import Path
from typing import NamedTuple

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from linli.accounts.models import Role
from linli.accounts.permissions import (
    ENDPOINTS,
    NOT_IN_THE_MATRIX,
    PERMISSIONS,
    ROLE_PERMISSIONS,
    SCOPES,
    endpoints_markdown,
    matrix_markdown,
    not_in_the_matrix_markdown,
    scopes_markdown,
)
from linli.accounts.tests.matrix_world import build_world, reaches

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The matrix's world, built once for the module in a transaction that is rolled back after its last test
    (each test runs in a savepoint inside it, as usual)."""
    from linli.places.demo import demo_compound

    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            built = build_world(demo_compound())
        except BaseException:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        block.__exit__(None, None, None)


# --- the map, the document and the URL conf ----------------------------------------------------------------------


def test_every_role_has_a_row_and_every_permission_is_known():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set().union(*ROLE_PERMISSIONS.values()) <= set(PERMISSIONS)
    assert {e.permission for e in ENDPOINTS} <= set(PERMISSIONS)
    assert {e.scope for e in ENDPOINTS} <= set(SCOPES)


def test_the_document_is_the_map():
    text = DOC.read_text()
    for table, made_by in [(matrix_markdown(), "matrix_markdown"), (scopes_markdown(), "scopes_markdown"),
                           (endpoints_markdown(), "endpoints_markdown"),
                           (not_in_the_matrix_markdown(), "not_in_the_matrix_markdown")]:
        assert table in text, f"docs/permissions.md: regenerate the table from permissions.{made_by}()"


def _url_names(patterns=None, namespace=None, prefix=""):
    """Every URL pattern as ``namespace:name`` (an unnamed one as its route, which then fails the test below)."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(n for n in (namespace, p.namespace) if n) or None
            yield from _url_names(p.url_patterns, inner, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}" if namespace and p.name else (p.name or f"<unnamed> {prefix}{p.pattern}")


def test_every_url_is_in_the_matrix():
    """A new view or endpoint must be added to ``ENDPOINTS`` (and so to the generated tests) or, with a reason, to
    ``NOT_IN_THE_MATRIX``: this fails until it is."""
    names = set(_url_names())
    mapped = {e.name for e in ENDPOINTS}
    missing = names - mapped - set(NOT_IN_THE_MATRIX)
    assert not missing, f"URLs in neither ENDPOINTS nor NOT_IN_THE_MATRIX (linli/accounts/permissions.py): {missing}"
    assert not mapped & set(NOT_IN_THE_MATRIX)
    stale = (mapped | set(NOT_IN_THE_MATRIX)) - names
    assert not stale, f"the map names URLs that do not exist: {stale}"


def test_every_endpoint_has_a_request_here():
    assert set(CALLS) == {(e.name, e.method) for e in ENDPOINTS}
    assert len(ENDPOINTS) == len(CALLS), "an endpoint is in the map twice"


def test_the_map_agrees_with_the_roles_the_code_checks():
    """Cases and the organisation check roles held at a place (``holds``, ``can_manage``): the same sets."""
    from linli.accounts.permissions import ASSIGN_ANCHORS, MANAGE_ORG, SUPERVISE_CASES, VIEW_ALL_CASES, roles_with
    from linli.cases import workflow
    from linli.org.selectors import ANCHOR_MANAGER_ROLES, ORG_MANAGER_ROLES

    assert roles_with(SUPERVISE_CASES) == set(workflow.SUPERVISOR_ROLES)
    assert roles_with(VIEW_ALL_CASES) == set(workflow.SEE_ALL_ROLES)
    assert roles_with(MANAGE_ORG) == set(ORG_MANAGER_ROLES)
    assert roles_with(ASSIGN_ANCHORS) == set(ANCHOR_MANAGER_ROLES)


# --- how each endpoint is called ---------------------------------------------------------------------------------


class Call(NamedTuple):
    """How the generated test calls an endpoint: its URL arguments from the object (``pk`` by default), the body
    (POST) or query (GET) — for a POST, a harmless invalid one —, the answers expected when the role may, and
    whether that allowed call writes (a refused call must never write)."""

    ok: frozenset
    data: object = None  # a dict, or ``f(world, role, obj) -> dict``
    kwargs: object = None  # ``f(obj) -> dict`` of URL arguments
    writes: bool = False
    check: object = None  # list endpoints: ``f(client, world, role) -> [problems]``, what must (not) be listed


def ok(*codes):
    return frozenset(codes)


def NO_ARGS(_obj):  # noqa: N802 (used like a constant)
    return {}


def _on_page(inside=None, outside=None):
    """A list page's check: ``inside(world, role)`` and ``outside(world)`` give ``(text, query)``; the text must be
    (inside) or must not be (outside) on the page asked with that query. The text is a link to the object, never
    the query itself (a search box echoes what was searched)."""
    def check(client, url, w, role):
        problems = []
        for spec, want in ((inside(w, role) if inside else None, True), (outside(w) if outside else None, False)):
            if spec is None:
                continue
            text, query = spec
            if (text in client.get(url, query).content.decode()) != want:
                problems.append(f"{url}?{query}: {role} {'does not see' if want else 'sees'} “{text}”")
        return problems
    return check


def _link(name, obj, query=None):
    return reverse(name, args=[obj.pk]), query or {}


def _api_ids(path, outside_of, query=None, inside_of=None):
    """An API list check: the outside object's id is not in the answer (and the inside one is)."""
    def check(client, url, w, role):
        problems = []
        for obj, want in ((inside_of(w, role) if inside_of else None, True), (outside_of(w), False)):
            if obj is None:
                continue
            answer = client.get(f"/api/v1/{path}", query(obj) if query else {})
            ids = {item["id"] for item in answer.json()["items"]} if answer.status_code == 200 else set()
            if (obj.pk in ids) != want:
                problems.append(f"{url}: {role} {'does not get' if want else 'gets'} {path} {obj.pk}")
        return problems
    return check


def _api_404_filter(path, param, scope):
    """An API list check: filtering by an out-of-scope object answers 404, like the object itself."""
    def check(client, url, w, role):
        status = client.get(f"/api/v1/{path}", {param: w.outside[scope].pk}).status_code
        return [] if status == 404 else [f"{url}: {role} filtered by an outside {scope} → {status}, not 404"]
    return check


CALLS = {
    # the register
    ("places:building", "GET"): Call(ok(200)),
    ("places:unit", "GET"): Call(ok(200)),
    ("places:residents", "GET"): Call(ok(200), check=_on_page(
        lambda w, role: _link("places:resident", w.inside["resident"], {"q": w.inside["resident"].name}),
        lambda w: _link("places:resident", w.outside["resident"], {"q": w.outside["resident"].name}))),
    ("places:resident", "GET"): Call(ok(200)),
    ("places:resident_reveal", "POST"): Call(ok(200), writes=True),  # the reveal is audited
    ("places:merchants", "GET"): Call(ok(200), check=_on_page(outside=lambda w: (
        reverse("places:unit", args=[w.outside["merchant"].unit_id]), {"q": w.outside["merchant"].name}))),
    ("places:grids", "GET"): Call(ok(200), check=_on_page(outside=lambda w: ("外地网格一", {}))),
    ("places:import", "GET"): Call(ok(200)),
    ("places:import", "POST"): Call(ok(400), data={"kind": "units"}),  # no file
    ("places:import_job", "GET"): Call(ok(200)),
    ("places:import_template", "GET"): Call(ok(200), kwargs=lambda _o: {"kind": "units"}),
    ("places:export", "GET"): Call(ok(200), kwargs=lambda o: {"pk": o.pk, "kind": "residents"}),
    ("overview:home", "GET"): Call(ok(200, 302), check=_on_page(outside=lambda w: (w.outside["compound"].name, {}))),
    ("overview:compound", "GET"): Call(ok(200)),
    # invitations, audit, outbox
    ("accounts:invitation_print", "GET"): Call(ok(200)),
    ("accounts:invitation_reissue", "POST"): Call(ok(302), writes=True),  # a new code, by design without a body
    ("audit:list", "GET"): Call(ok(200), check=_on_page(lambda w, role: ("test.inside", {}),
                                                        lambda w: ("test.elsewhere", {}))),
    ("accounts:two_factor_reset", "GET"): Call(ok(200)),
    # no reason: refused (400) for the demo's branch secretary; a secretary elsewhere is 404 first
    ("accounts:two_factor_reset", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "username": side["staff account"].username, "reason": ""}),
    ("notify:outbox", "GET"): Call(ok(200), check=_on_page(lambda w, role: ("矩阵验证码", {}),
                                                           lambda w: ("外地验证码", {}))),
    # the organisation
    ("org:tree", "GET"): Call(ok(200), check=_on_page(outside=lambda w: ("外地社区党委", {}))),
    ("org:building", "GET"): Call(ok(200)),
    ("org:teams", "GET"): Call(ok(200), check=_on_page(outside=lambda w: _link("org:team", w.outside["team"]))),
    ("org:team", "GET"): Call(ok(200)),
    ("org:team_member_add", "POST"): Call(ok(302), data={}),  # nobody named: refused with a message
    ("org:team_member_remove", "POST"): Call(ok(302), data={"left_on": "not a date"}),
    ("org:cover", "POST"): Call(ok(302), data={}),
    ("org:person", "GET"): Call(ok(200)),
    ("org:membership_register", "POST"): Call(ok(302), data={}),
    # the closed loop
    ("cases:queue", "GET"): Call(ok(200), check=_on_page(outside=lambda w: (w.outside["case"].number, {}))),
    ("cases:queue_named", "GET"): Call(ok(200), kwargs=lambda _o: {"name": "all"}, check=_on_page(
        lambda w, role: (w.cases[role].number, {}), lambda w: (w.outside["case"].number, {}))),
    # closing a case out of scope: nothing to tick, back to the queue
    ("cases:bulk", "POST"): Call(ok(302), data=lambda w, role, obj: {"action": "close",
                                                                    "case": [w.outside["case"].pk]}),
    ("cases:new", "GET"): Call(ok(200)),
    ("cases:new", "POST"): Call(ok(400), data={}),  # the form comes back with its errors
    ("cases:detail", "GET"): Call(ok(200)),
    ("cases:transition", "POST"): Call(ok(400), data={}, kwargs=lambda o: {"pk": o.pk, "action": "accept"}),
    ("cases:verify", "POST"): Call(ok(400), data={}),  # the form comes back with its errors
    ("cases:comment", "POST"): Call(ok(302), data={}),
    # no call is owed on the case: back to it with a message
    ("cases:call_record", "POST"): Call(ok(302), data={}),
    ("cases:call_phone", "POST"): Call(ok(302), data={}),
    ("cases:calls", "GET"): Call(ok(200)),
    ("cases:mediation_start", "GET"): Call(ok(200)),
    ("cases:mediation_start", "POST"): Call(ok(400), data={"parties": ""}),
    ("cases:mediation", "GET"): Call(ok(200)),
    ("cases:mediation", "POST"): Call(ok(200), data={"step": "session"}),  # no notes: the form comes back
    ("cases:mediation_agreement", "GET"): Call(ok(302)),  # no agreement yet: back to the mediation with a message
    ("cases:routing", "GET"): Call(ok(200)),
    ("cases:routing", "POST"): Call(ok(400), data={"place": "nowhere"}),
    ("cases:routing_off", "POST"): Call(ok(302), writes=True),  # switches the rule off
    ("cases:deadlines", "GET"): Call(ok(200)),
    ("cases:deadlines", "POST"): Call(ok(400), data={"response_hours": "0"}),
    ("cases:responses", "GET"): Call(ok(200)),
    ("cases:responses", "POST"): Call(ok(400), data={"title": ""}),
    ("cases:calendar", "GET"): Call(ok(200)),
    ("cases:calendar", "POST"): Call(ok(400), data={"date": "not a date"}),
    # metrics
    ("metrics:dashboard", "GET"): Call(ok(200)),
    ("metrics:export", "GET"): Call(ok(200)),
    # the JSON API
    ("api-1:compound_list", "GET"): Call(ok(200), check=_api_ids("compounds/", lambda w: w.outside["compound"],
                                                                 inside_of=lambda w, role: w.demo)),
    ("api-1:compound_detail", "GET"): Call(ok(200), kwargs=lambda o: {"compound_id": o.pk}),
    ("api-1:building_list", "GET"): Call(ok(200), check=_api_404_filter("buildings/", "compound", "compound")),
    ("api-1:building_detail", "GET"): Call(ok(200), kwargs=lambda o: {"building_id": o.pk}),
    ("api-1:unit_list", "GET"): Call(ok(200), check=_api_404_filter("units/", "building", "building")),
    ("api-1:unit_detail", "GET"): Call(ok(200), kwargs=lambda o: {"unit_id": o.pk}),
    ("api-1:household_list", "GET"): Call(ok(200), check=_api_404_filter("households/", "building", "building")),
    ("api-1:household_detail", "GET"): Call(ok(200), kwargs=lambda o: {"household_id": o.pk}),
    ("api-1:resident_list", "GET"): Call(ok(200), check=_api_ids(
        "residents/", lambda w: w.outside["resident"], lambda obj: {"q": obj.name},
        inside_of=lambda w, role: w.inside["resident"])),
    ("api-1:resident_detail", "GET"): Call(ok(200), kwargs=lambda o: {"resident_id": o.pk}),
    ("api-1:merchant_list", "GET"): Call(ok(200), check=_api_ids("merchants/", lambda w: w.outside["merchant"],
                                                                 lambda obj: {"q": obj.name})),
    ("api-1:merchant_detail", "GET"): Call(ok(200), kwargs=lambda o: {"merchant_id": o.pk}),
    ("api-1:case_list", "GET"): Call(ok(200), check=_api_ids("cases/", lambda w: w.outside["case"],
                                                             lambda obj: {"q": obj.number},
                                                             inside_of=lambda w, role: w.cases[role])),
    ("api-1:case_detail", "GET"): Call(ok(200), kwargs=lambda o: {"case_id": o.pk}),
    # "in body" endpoints get all the inside (or outside) objects and name in the body what they need.
    # A description too short to file: refused (400) in reach; a place out of reach is 404 first
    ("api-1:case_create", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "category": w.category.code, "place_id": side["unit"].pk, "description": "漏"}),
    # an old version: refused as stale (409) for a case in reach
    ("api-1:case_transition", "POST"): Call(ok(409), data={"version": -1},
                                            kwargs=lambda o: {"case_id": o.pk, "action": "accept"}),
    # managing the organisation: pages (linli/org/views_manage.py)
    ("org:organisation_new", "GET"): Call(ok(200)),
    # building 2 has its group already: refused on the form (400); a building out of scope is 404
    ("org:organisation_new", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "kind": "group", "place": side["building"].pk}),
    ("org:organisation", "GET"): Call(ok(200)),
    ("org:organisation_leadership", "POST"): Call(ok(400), data={"leader": "nobody", "secretary_username": "∅"}),
    ("org:membership_end", "POST"): Call(ok(400), data={"reason": ""}),
    ("org:anchor_designate", "POST"): Call(ok(400), data={"member": "nobody"}),
    ("org:anchor_end", "POST"): Call(ok(400), data={"reason": ""}),
    # the demo's compound has a property team already: refused (400); a compound out of scope is 404
    ("org:team_new", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "compound": side["compound"].pk, "kind": "property"}),
    ("org:member_buildings", "POST"): Call(ok(400), data={"buildings": "nowhere"}),
    # the organisation over JSON (linli/org/api.py)
    ("api-1:organisation_list", "GET"): Call(ok(200), check=_api_ids("org/organisations/",
                                                                     lambda w: w.outside["organisation"],
                                                                     inside_of=lambda w, r: w.inside["organisation"])),
    ("api-1:organisation_detail", "GET"): Call(ok(200), kwargs=lambda o: {"org_id": o.pk}),
    ("api-1:organisation_create", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "kind": "group", "place_id": side["building"].pk}),
    ("api-1:organisation_leadership", "POST"): Call(ok(400), kwargs=lambda o: {"org_id": o.pk},
                                                    data={"secretary_username": "nobody-signs-in-so"}),
    ("api-1:membership_list", "GET"): Call(ok(200), check=_api_404_filter("org/memberships/", "building",
                                                                          "building")),
    ("api-1:membership_detail", "GET"): Call(ok(200), kwargs=lambda o: {"membership_id": o.pk}),
    # already a member: refused (400)
    ("api-1:membership_register", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "resident_id": side["membership"].resident_id, "status": "retired"}),
    ("api-1:membership_end", "POST"): Call(ok(400), kwargs=lambda o: {"membership_id": o.pk}, data={"reason": ""}),
    ("api-1:anchor_list", "GET"): Call(ok(200), check=_api_404_filter("org/anchor-households/", "building",
                                                                      "building")),
    ("api-1:anchor_detail", "GET"): Call(ok(200), kwargs=lambda o: {"anchor_id": o.pk}),
    # already an anchor household: refused (400)
    ("api-1:anchor_designate", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "member_id": side["anchor"].member_id}),
    ("api-1:anchor_end", "POST"): Call(ok(400), kwargs=lambda o: {"anchor_id": o.pk}, data={"reason": ""}),
    ("api-1:anchor_cover", "POST"): Call(ok(400), kwargs=lambda o: {"anchor_id": o.pk}, data={"households": []}),
    ("api-1:anchor_uncover", "POST"): Call(ok(400), kwargs=lambda o: {"anchor_id": o.pk}, data={"households": []}),
    ("api-1:team_list", "GET"): Call(ok(200), check=_api_ids("org/teams/", lambda w: w.outside["team"],
                                                             inside_of=lambda w, role: w.inside["team"])),
    ("api-1:team_detail", "GET"): Call(ok(200), kwargs=lambda o: {"team_id": o.pk}),
    ("api-1:team_create", "POST"): Call(ok(400), kwargs=NO_ARGS, data=lambda w, role, side: {
        "compound_id": side["compound"].pk, "kind": "property"}),
    ("api-1:team_member_add", "POST"): Call(ok(400), kwargs=lambda o: {"team_id": o.pk}, data={}),  # nobody named
    ("api-1:team_member_remove", "POST"): Call(ok(400), kwargs=lambda o: {"member_id": o.pk},
                                               data={"left_on": "1990-01-01"}),  # before joining
    # a building of another compound: refused (400)
    ("api-1:team_member_buildings", "PUT"): Call(ok(400), kwargs=lambda o: {"member_id": o.pk}, data=lambda w, r, o: {
        "building_ids": [w.outside["building"].pk if o.path.startswith(w.demo.path) else w.inside["building"].pk]}),
}


# --- generated: every role × every endpoint, in reach and out of scope -------------------------------------------


def _snapshot() -> tuple:
    """What a refused POST must not change: the audit trail (every write leaves a row there) and the rows and states
    the POST endpoints write."""
    from linli.accounts.models import InvitationCode, RecoveryCode, TotpDevice
    from linli.cases.models import (
        Case,
        CaseEvent,
        DeadlinePolicy,
        Mediation,
        MediationSession,
        RoutingRule,
        WorkdayOverride,
    )
    from linli.core.models import AuditEvent
    from linli.notify.models import Notification
    from linli.org.models import (
        AnchorCoverage,
        AnchorHousehold,
        PartyMembership,
        PartyOrganisation,
        StewardTeam,
        StewardTeamMember,
    )
    from linli.places.models import ImportJob

    return (
        AuditEvent.objects.aggregate(m=Max("id"))["m"], CaseEvent.objects.aggregate(m=Max("id"))["m"],
        Case.objects.count(), Mediation.objects.count(), MediationSession.objects.count(),
        RoutingRule.objects.filter(is_active=True).count(), DeadlinePolicy.objects.count(),
        WorkdayOverride.objects.count(), ImportJob.objects.count(), InvitationCode.objects.aggregate(m=Max("id"))["m"],
        StewardTeamMember.objects.filter(left_on__isnull=True).count(), StewardTeam.objects.count(),
        PartyMembership.objects.filter(is_active=True).count(), PartyOrganisation.objects.count(),
        AnchorHousehold.objects.filter(is_active=True).count(),
        AnchorCoverage.objects.filter(ended_on__isnull=True).count(), Notification.objects.count(),
        TotpDevice.objects.count(), RecoveryCode.objects.filter(used_at__isnull=True).count(),
    )


def _send(client, endpoint, w, role, obj):
    call = CALLS[(endpoint.name, endpoint.method)]
    kwargs = call.kwargs(obj) if call.kwargs else ({"pk": obj.pk} if obj is not None else {})
    url = reverse(endpoint.name, kwargs=kwargs)
    data = call.data(w, role, obj) if callable(call.data) else (call.data or {})
    if endpoint.method == "GET":
        return client.get(url, data)
    if endpoint.name.startswith("api-1:"):
        send = client.put if endpoint.method == "PUT" else client.post
        return send(url, data, content_type="application/json")
    return client.post(url, data)


def _objects(w, role, scope):
    """``(object, in reach?)`` pairs to call an endpoint with: none for a list or a form; else the role's inside
    object and the outside one."""
    if scope in ("list", "none"):
        return [(None, True)]
    if scope == "in body":
        return [(w.inside, True), (w.outside, False)]
    return [(w.inside_for(role, scope), reaches(role, scope)), (w.outside[scope], False)]


def _mismatches(endpoint, w) -> list[str]:
    call = CALLS[(endpoint.name, endpoint.method)]
    clients = w.api if endpoint.name.startswith("api-1:") else w.pages
    problems = []
    for role in Role:
        allowed = endpoint.permission in ROLE_PERMISSIONS[role]
        for obj, reach in _objects(w, role, endpoint.scope):
            expected = (call.ok if allowed else {403}) if reach else {404}
            if endpoint.scope == "in body" and not allowed:  # the URL names nothing: 403 may come first
                expected = {403, 404}
            before = _snapshot() if endpoint.method != "GET" else None
            status = _send(clients[role], endpoint, w, role, obj).status_code
            where = "in reach" if reach else "out of scope"
            if status not in expected:
                problems.append(f"{role} {where}: {status}, the map says {sorted(expected)}")
            if before is not None and not (call.writes and allowed and reach) and _snapshot() != before:
                problems.append(f"{role} {where}: a POST that should change nothing wrote to the database")
        if allowed and endpoint.scope == "list" and call.check:
            url = reverse(endpoint.name, kwargs=call.kwargs(None) if call.kwargs else {})
            problems += call.check(clients[role], url, w, role)
    return problems


#: Endpoints whose code does not yet do what the map says (in apps being changed elsewhere): each is reported, and
#: the test is an expected failure until the fix lands (strict: it then fails as "passed", to drop it from here).
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _endpoint_params():
    for e in ENDPOINTS:
        bug = KNOWN_BUGS.get((e.name, e.method))
        marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
        yield pytest.param(e, id=f"{e.name}-{e.method}", marks=marks)


@pytest.mark.parametrize("endpoint", list(_endpoint_params()))
def test_every_role_in_reach_and_out_of_scope(world, endpoint):
    problems = _mismatches(endpoint, world)
    assert not problems, f"{endpoint.name} {endpoint.method}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", ["cases:detail", "api-1:case_detail"])
def test_a_case_routed_to_another_role_is_404_without_view_all_cases(world, name):
    """In reach is not enough to see a case: it must be routed to one's role (or one's role sees them all)."""
    from linli.accounts.permissions import VIEW_ALL_CASES

    case = world.cases[Role.PROPERTY_STEWARD]
    kwargs = {"pk": case.pk} if name == "cases:detail" else {"case_id": case.pk}
    clients = world.api if name.startswith("api-1:") else world.pages
    answers = {role: clients[role].get(reverse(name, kwargs=kwargs)).status_code for role in Role}
    assert answers == {role: 200 if VIEW_ALL_CASES in ROLE_PERMISSIONS[role] or role == Role.PROPERTY_STEWARD
                       else 404 for role in Role}


def _any_object(w, scope):
    return None if scope in ("list", "none") else w.inside_for(Role.BRANCH_SECRETARY, scope)  # "in body": all


def test_resident_accounts_get_nothing(world):
    """A resident's own account is kept in /me/: every staff page answers 404, the API 403 — and writes nothing."""
    problems = []
    for e in ENDPOINTS:
        api = e.name.startswith("api-1:")
        client = world.resident_api if api else world.resident_page
        before = _snapshot()
        response = _send(client, e, world, Role.BRANCH_SECRETARY, _any_object(world, e.scope))
        if e.name == "overview:home":  # the home page sends a resident to their portal
            if response.status_code != 302 or response.url != reverse("me:home"):
                problems.append(f"{e.name}: {response.status_code} {response.get('Location')}")
        elif response.status_code != (403 if api else 404):
            problems.append(f"{e.name} {e.method}: {response.status_code}")
        if e.method != "GET" and _snapshot() != before:
            problems.append(f"{e.name} {e.method}: wrote to the database")
    assert not problems, problems


def test_anonymous_callers_are_asked_to_sign_in(world, client):
    problems = []
    for e in ENDPOINTS:
        response = _send(client, e, world, Role.BRANCH_SECRETARY, _any_object(world, e.scope))
        if e.name.startswith("api-1:"):
            if response.status_code != 401:
                problems.append(f"{e.name} {e.method}: {response.status_code}")
        elif response.status_code != 302 or not response.url.startswith(reverse("accounts:login")):
            problems.append(f"{e.name} {e.method}: {response.status_code} {response.get('Location')}")
    assert not problems, problems


def test_an_unknown_object_is_404_like_an_out_of_scope_one(world):
    from linli.places.models import Place

    assert not Place.objects.filter(pk=987654321).exists()
    client = world.pages[Role.COMMUNITY_SECRETARY]
    assert client.get(reverse("places:resident", args=[987654321])).status_code == 404
    assert client.get(reverse("cases:detail", args=[987654321])).status_code == 404
    assert world.api[Role.COMMUNITY_SECRETARY].get("/api/v1/residents/987654321/").status_code == 404
