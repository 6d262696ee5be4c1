"""Between Open311's vocabulary and Linli's cases: categories as services, cases as service requests.

Reads are scoped by the key's user (:func:`linli.core.scope.scope_q`); filing goes through the cases services.
"""

import secrets

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from linli.cases.models import FINAL_STATES, Case, Category, Channel, Spot
from linli.cases.photo_links import photo_url
from linli.core.errors import ApplicationError
from linli.core.scope import scope_paths, scope_q
from linli.open311.models import Open311Submission
from linli.places.models import Place, PlaceKind


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def service(category: Category) -> dict:
    other = category.name_en if category.name != category.name_en else category.name_zh
    return {
        "service_code": category.code,
        "service_name": category.name,
        # its name in the request's language, with the other language's beside it (a bilingual register)
        "description": f"{category.name} ({other})",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([category.name_zh, category.name_en, category.code])),
        "group": _("Disputes") if category.is_dispute else _("Problems"),
    }


def service_definition(category: Category) -> dict:
    spots = [{"key": s.value, "name": str(s.label)} for s in Spot]
    return {
        "service_code": category.code,
        "attributes": [
            {"variable": True, "code": "spot", "datatype": "singlevaluelist", "required": False,
             "datatype_description": _("A public spot of the compound, when the problem is not in a unit."),
             "order": 1, "description": _("Where in the compound?"), "values": spots},
            {"variable": True, "code": "anonymous", "datatype": "singlevaluelist", "required": False,
             "datatype_description": "", "order": 2,
             "description": _("Hide the reporter's name from other residents?"),
             "values": [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}]},
        ],
    }


def cases_for(user) -> QuerySet[Case]:
    """The cases the key's user may see (the same rule as the pages)."""
    from linli.cases.selectors import visible_q

    return Case.objects.filter(visible_q(user))


def open_only(cases):
    return cases.exclude(state__in=FINAL_STATES)


def closed_only(cases):
    return cases.filter(state__in=FINAL_STATES)


def with_related(cases):
    return cases.select_related("category", "place").prefetch_related("attachments").order_by("-created_at", "-id")


def service_notice(case: Case) -> str:
    if case.resolution_due_at:
        from django.utils import timezone

        due = timezone.localtime(case.resolution_due_at).strftime("%Y-%m-%d %H:%M")
        return _("Case %(number)s is registered; it is due to be resolved by %(due)s.") % {
            "number": case.number, "due": due}
    return _("Case %(number)s is registered.") % {"number": case.number}


def request_record(case: Case, absolute=lambda path: path) -> dict:
    """A case as the spec's service request; ``absolute`` makes a path an absolute URL (the request's
    ``build_absolute_uri``): the first photo's ``media_url`` is a signed link (:mod:`linli.cases.photo_links`)."""
    photo = next(iter(case.attachments.all()), None)
    address = case.place.name + (f" · {case.get_spot_display()}" if case.spot else "")
    if case.location_note:
        address += f" · {case.location_note}"
    return {
        "service_request_id": case.number,
        "status": "open" if case.is_open else "closed",
        "status_notes": case.get_state_display(),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": " / ".join(x for x in (case.get_level_display(), case.get_assigned_role_display()) if x),
        "service_notice": "",
        "requested_datetime": case.created_at,
        "updated_datetime": case.closed_at if not case.is_open and case.closed_at else case.updated_at,
        "expected_datetime": case.resolution_due_at,
        "address": address,
        "address_id": case.place_id,
        "zipcode": "",
        "lat": "",
        "long": "",
        "media_url": absolute(photo_url(photo)) if photo else "",
    }


def locate(user, *, address_id: str, address_string: str) -> tuple[Place, str]:
    """The place a request is about, inside ``user``'s scope: ``address_id`` (a place id), a unit's or building's
    name in ``address_string`` (1-2-1502, 3号楼), else the compound itself with the text as a location note."""
    places = Place.objects.filter(scope_q(user, "path"))
    if address_id:
        place = places.filter(pk=address_id).first() if address_id.isdigit() else None
        if place is None:
            raise ApplicationError(_("address_id “%(id)s” was not found.") % {"id": address_id}, field="address_id")
        return place, ""
    text = address_string.strip()
    if text:
        place = places.filter(kind__in=[PlaceKind.UNIT, PlaceKind.BUILDING], name=text).first()
        if place is not None:
            return place, ""
    compound = Place.objects.filter(kind=PlaceKind.COMPOUND).filter(
        Q(scope_q(user, "path")) | Q(path__in=[_compound_prefix(p) for p in scope_paths(user)])).first()
    if compound is None:
        raise ApplicationError(_("This key reaches no compound to file cases in."), field="api_key")
    return compound, text


def _compound_prefix(path: str) -> str:
    """The compound path above a building path (a grid worker's scope is buildings)."""
    parts = path.rstrip("/").split("/")
    return "/".join(parts[:5]) + "/" if len(parts) >= 5 else path


@transaction.atomic
def file_request(*, key, category: Category, params, attributes: dict) -> Open311Submission:
    """File a case from an Open311 POST, as the key's user, and keep the submission (its token)."""
    from linli.cases import services

    place, note = locate(key.user, address_id=params.get("address_id", "").strip(),
                         address_string=params.get("address_string", "").strip())
    if params.get("lat") and params.get("long"):
        note = (note + " " if note else "") + f"({params['lat']}, {params['long']})"
    spot = attributes.get("spot", "")
    if spot and spot not in Spot.values:
        raise ApplicationError(_("attribute[spot] “%(v)s” is not one of the listed values.") % {"v": spot},
                               field="attribute[spot]")
    if place.kind == PlaceKind.COMPOUND and not spot:
        spot = Spot.OTHER  # a client that knows no spot (lat/long only): somewhere in the compound
    description = (params.get("description") or "").strip()
    if not description:
        raise ApplicationError(_("A description is required."), field="description")
    if len(description) > 4000:
        raise ApplicationError(_("The description is longer than 4,000 characters."), field="description")
    name = " ".join(x for x in (params.get("last_name", "").strip(), params.get("first_name", "").strip()) if x)
    case = services.case_create(
        actor=key.user, category=category, description=description, place=place, spot=spot,
        location_note=note[:200], reporter_name=name[:64], reporter_phone=params.get("phone", "").strip(),
        anonymous=attributes.get("anonymous") == "true", channel=Channel.OPEN311,
    )
    return Open311Submission.objects.create(
        key=key, token=secrets.token_hex(16), case=case, device_id=(params.get("device_id") or "")[:100],
        account_id=(params.get("account_id") or "")[:100], media_url=(params.get("media_url") or "")[:500],
    )


def submission_by_token(token: str) -> Open311Submission | None:
    return Open311Submission.objects.select_related("case").filter(token=token).first()
