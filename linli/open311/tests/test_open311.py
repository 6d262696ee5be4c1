"""GeoReport v2: a client lists the services, files a case with its key and follows it, in XML and in JSON."""

import json
import xml.etree.ElementTree as ET  # noqa: S405  (parsing our own answers)

import pytest
from django.urls import reverse

from linli.cases.models import Case
from linli.open311.services import open311_key_issue, open311_key_revoke

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"


@pytest.fixture
def key(branch):
    return open311_key_issue(actor=None, user=branch, name="test client")[1]


def _xml(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314


def test_services_in_xml_and_json(client, leak_category):
    root = _xml(client.get(BASE + "services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert leak_category.code in codes
    data = client.get(BASE + "services.json").json()
    service = next(s for s in data if s["service_code"] == leak_category.code)
    assert service["type"] == "realtime" and service["metadata"] is True


def test_service_definition_and_unknown_code(client, leak_category):
    root = _xml(client.get(BASE + f"services/{leak_category.code}.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/code").text == "spot"
    assert len(root.findall("attributes/attribute/values/value")) >= 5
    missing = client.get(BASE + "services/nope.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404 and "nope" in missing.json()[0]["description"]


def test_a_client_files_and_follows_a_case(client, key, leak_category, demo):
    from linli.places.tests.factories import unit_in

    unit = unit_in(demo, "4")
    response = client.post(BASE + "requests.xml", {
        "api_key": key, "service_code": leak_category.code, "address_string": unit.name,
        "description": "Water is leaking from the ceiling", "first_name": "Wei", "last_name": "Zhang",
        "phone": "13911112222", "attribute[anonymous]": "true"})
    assert response.status_code == 200, response.content
    root = _xml(response)
    number = root.findtext("request/service_request_id")
    case = Case.objects.get(number=number)
    assert case.place == unit and case.channel == "open311" and case.anonymous
    assert case.reporter_phone_masked and "13911112222" not in case.reporter_phone_masked
    detail = client.get(BASE + f"requests/{number}.json", {"api_key": key}).json()[0]
    assert detail["status"] == "open" and detail["service_code"] == leak_category.code
    assert detail["requested_datetime"].endswith("+08:00")
    listed = client.get(BASE + "requests.json", {"api_key": key, "status": "open",
                                                "service_code": leak_category.code}).json()
    assert number in [r["service_request_id"] for r in listed]
    many = client.get(BASE + "requests.xml", {"api_key": key, "service_request_id": f"{number},nope"})
    assert [r.findtext("service_request_id") for r in _xml(many).findall("request")] == [number]
    from linli.open311.models import Open311Submission

    token = Open311Submission.objects.get(case=case).token
    assert client.get(BASE + f"tokens/{token}.json").json() == [{"service_request_id": number, "token": token}]


def test_errors_in_the_spec_format(client, key, leak_category):
    no_key = client.post(BASE + "requests.json", {"service_code": leak_category.code, "description": "漏水漏水漏水",
                                                  "lat": "36.1", "long": "120.4"})
    assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
    no_code = client.post(BASE + "requests.xml",
                          {"api_key": key, "description": "漏水漏水漏水", "lat": "1", "long": "2"})
    assert no_code.status_code == 400 and _xml(no_code).tag == "errors"
    assert "service_code" in _xml(no_code).findtext("error/description")
    no_place = client.post(BASE + "requests.json", {"api_key": key, "service_code": leak_category.code,
                                                    "description": "漏水漏水漏水"})
    assert no_place.status_code == 400
    short = client.post(BASE + "requests.json", {"api_key": key, "service_code": leak_category.code,
                                                 "description": "漏", "lat": "36.1", "long": "120.4"})
    assert short.status_code == 400 and "description" in short.json()[0]["description"]
    assert client.get(BASE + "requests.json", {"api_key": key, "jurisdiction_id": "elsewhere.gov"}).status_code == 404
    assert client.get(BASE + "requests.json", {"api_key": key, "start_date": "yesterday"}).status_code == 400
    assert client.get(BASE + "tokens/unknown.xml").status_code == 404
    assert client.get(BASE + "whatever").status_code == 404


def test_lat_long_only_files_at_the_compound_with_a_spot(client, key, leak_category, demo):
    response = client.post(BASE + "requests.json", {
        "api_key": key, "service_code": leak_category.code, "lat": "36.07", "long": "120.38",
        "description": "大门口积水", "attribute[spot]": "gate"})
    assert response.status_code == 200, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.place == demo and case.spot == "gate" and "36.07" in case.location_note


def test_a_key_reads_only_its_users_scope_and_a_revoked_key_nothing(client, grid1, reported_case):
    row, grid_key = open311_key_issue(actor=None, user=grid1, name="grid 1 app")
    theirs = reported_case("7")
    assert client.get(BASE + f"requests/{theirs.number}.json", {"api_key": grid_key}).status_code == 404
    listed = client.get(BASE + "requests.json", {"api_key": grid_key}).json()
    assert theirs.number not in [r["service_request_id"] for r in listed]
    ours = reported_case("2")
    assert client.get(BASE + f"requests/{ours.number}.json", {"api_key": grid_key}).status_code == 200
    open311_key_revoke(actor=None, key=row)
    assert client.get(BASE + f"requests/{ours.number}.json", {"api_key": grid_key}).status_code == 403


def test_list_query_count_is_bounded(client, key, reported_case, django_assert_max_num_queries):
    for _ in range(5):
        reported_case("3")
    with django_assert_max_num_queries(12):
        client.get(BASE + "requests.json", {"api_key": key})


def test_demo_credentials_carry_an_open311_key(settings):
    from linli.core.demo import credentials_path
    from linli.open311.services import open311_key_authenticate

    document = json.loads(credentials_path().read_text())
    assert open311_key_authenticate(document["open311_api_key"]) is not None


def test_url_names():
    assert reverse("open311:services", kwargs={"fmt": "xml"}) == BASE + "services.xml"


def test_an_unknown_resource_answers_404_in_the_format_asked_for(client):
    as_json = client.get("/open311/v2/nothing-here.json")
    assert as_json.status_code == 404 and as_json["Content-Type"].startswith("application/json")
    assert as_json.json()[0]["code"] == 404 and as_json.json()[0]["description"]
    as_xml = client.get("/open311/v2/nothing-here.xml")
    assert as_xml.status_code == 404 and b"<errors>" in as_xml.content


def test_a_client_asks_for_its_language_with_accept_language(client, leak_category):
    english = client.get(BASE + "services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    leak = next(s for s in english if s["service_code"] == leak_category.code)
    assert leak["service_name"] == leak_category.name_en
    assert leak["description"] == f"{leak_category.name_en} ({leak_category.name_zh})"
    chinese = next(s for s in client.get(BASE + "services.json").json() if s["service_code"] == leak_category.code)
    assert chinese["service_name"] == leak_category.name_zh  # Chinese unless asked otherwise
