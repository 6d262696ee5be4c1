"""A case's photos are seen through signed, short-lived links — by the resident on the case's page, by staff at the
desk, by an Open311 client — and by nobody who holds anything else: a forged, damaged or expired link, a storage
path, a link to a photo that is gone, all answer 404."""

import datetime as dt
import re

import pytest
from django.conf import settings
from PIL import Image

from linli.cases import photo_links, services
from linli.cases.models import CaseAttachment
from linli.open311.services import open311_key_issue

pytestmark = pytest.mark.django_db


def _photo_links(html: str) -> list[str]:
    return re.findall(r'<img src="(/photos/[^"]+/)"', html)


def _is_the_photo(response, attachment) -> bool:
    from io import BytesIO

    body = b"".join(response.streaming_content)
    with Image.open(BytesIO(body)) as image:
        return (response.status_code == 200 and response["Content-Type"] == attachment.content_type
                and "private" in response["Cache-Control"] and image.size == (attachment.width, attachment.height))


def test_the_reporter_sees_their_photo_on_their_case_page(client, resident_user, category, unit_of, photo):
    user = resident_user(2)
    case = services.case_create(actor=user, category=category("water"), place=unit_of(2),
                                description="厨房水管漏水", photos=[photo("JPEG")])
    client.force_login(user)
    links = _photo_links(client.get(f"/me/cases/{case.pk}/").content.decode())
    assert len(links) == 1
    assert _is_the_photo(client.get(links[0]), case.attachments.get())


def test_staff_see_a_result_photo_on_the_case_page_and_the_link_needs_no_session(client_for, client, in_progress,
                                                                                 steward, photo):
    case = in_progress()
    services.case_transition(actor=steward, case=case, action="resolve", note="换了管子", photos=[photo("PNG")])
    links = _photo_links(client_for(steward).get(f"/cases/{case.pk}/").content.decode())
    assert len(links) == 1
    client.logout()  # the link is the permission: an <img> fetched by the browser, an Open311 client's download
    assert _is_the_photo(client.get(links[0]), case.attachments.get())


def test_an_open311_client_gets_an_absolute_media_url_it_can_download(client, branch, new_case, photo):
    case = new_case(building=3, photos=[photo("JPEG")])
    key = open311_key_issue(actor=None, user=branch, name="client")[1]
    record = client.get(f"/open311/v2/requests/{case.number}.json", {"api_key": key}).json()[0]
    assert record["media_url"].startswith("http://testserver/photos/")
    assert _is_the_photo(client.get(record["media_url"].removeprefix("http://testserver")), case.attachments.get())


def test_anything_but_a_valid_link_is_404(client, new_case, photo, monkeypatch):
    case = new_case(photos=[photo("JPEG")])
    attachment = case.attachments.get()
    good = photo_links.photo_url(attachment)
    token = good.split("/")[2]
    assert client.get(good).status_code == 200
    other = photo_links.photo_url(CaseAttachment(pk=attachment.pk + 1)).split("/")[2]
    forged = "/photos/" + ":".join(other.split(":")[:2] + token.split(":")[2:]) + "/"
    for path in (f"/photos/{token[:-2]}xx/",  # damaged signature
                 forged,  # another photo's key with this photo's signature
                 f"/photos/{attachment.pk}/",  # a bare key
                 f"{settings.MEDIA_URL}{attachment.image.name}",  # where the file is stored
                 photo_links.photo_url(CaseAttachment(pk=attachment.pk + 1000))):  # signed, but no such photo
        assert client.get(path).status_code == 404, path
    assert client.post(good).status_code == 405
    monkeypatch.setattr(photo_links, "PHOTO_LINK_TTL", dt.timedelta(seconds=-1))  # the link has expired
    assert client.get(good).status_code == 404
