"""Error pages speak the visitor's language inside Linli's layout, with a way back — never Django's bare English
"Not Found" — and a 404 reads the same for a page that does not exist and one outside the visitor's scope."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    return html[html.index('data-testid="error-page"'):html.index("</main>")]


def test_a_missing_page_answers_404_in_the_layout_in_each_language(client_for, grid1):
    client = client_for(grid1)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "找不到这个页面" in html and "Not Found" not in html
    assert 'class="navbar' in html and 'href="/"' in _main(html)  # the bar and a way back
    english = client.get("/no-such-page/?lang=en").content.decode()
    assert "This page cannot be found" in english


def test_out_of_scope_and_missing_cases_read_the_same(client_for, grid1, reported_case):
    from linli.cases.models import Case

    client = client_for(grid1)
    outside = reported_case("7")  # grid 2's building
    missing = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    a = client.get(reverse("cases:detail", args=[outside.pk]))
    b = client.get(reverse("cases:detail", args=[missing]))
    assert a.status_code == b.status_code == 404
    assert _main(a.content.decode()) == _main(b.content.decode())
    assert outside.number not in a.content.decode()


def test_a_resident_is_sent_back_to_their_own_pages(client, resident_account):
    user, _resident = resident_account("2")
    client.force_login(user)
    html = client.get("/me/cases/999999999/").content.decode()
    assert 'href="/me/"' in _main(html) and "找不到这个页面" in html


def test_forbidden_bad_request_and_server_error_pages_are_translated():
    request = RequestFactory().get("/")
    from django.core.exceptions import PermissionDenied
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "您在这里无权进行此操作" in defaults.permission_denied(request, PermissionDenied()).content.decode()
        assert "邻里无法处理这个请求" in defaults.bad_request(request, Exception()).content.decode()
        assert "系统出了问题" in defaults.server_error(request).content.decode()
    with translation.override("en"):
        assert "Something went wrong on our side" in defaults.server_error(request).content.decode()


def test_an_expired_form_says_so_in_the_visitors_language():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("me:sign_in"), {"phone": "13800000000"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()
