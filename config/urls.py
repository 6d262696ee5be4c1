"""URL wiring only: each app owns its own urls.py."""

from django.urls import include, path

from linli.api.api import api
from linli.cases.urls import photo_urlpatterns as cases_photo_urls
from linli.cases.urls import resident_urlpatterns as cases_resident_urls
from linli.notify.urls import resident_urlpatterns as notify_resident_urls

urlpatterns = [
    # Machine clients first: Django tries the patterns in order, and the API's report intake is the hottest path.
    path("api/v1/", api.urls),
    path("open311/v2/", include("linli.open311.urls")),
    path("", include("linli.overview.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("", include("linli.accounts.urls_top")),  # /me/ (residents' portal) and /audit/
    path("places/", include("linli.places.urls")),
    path("notifications/", include("linli.notify.urls")),
    path("org/", include("linli.org.urls")),
    path("cases/", include("linli.cases.urls")),
    path("me/cases/", include(cases_resident_urls)),  # residents' case pages live in their portal
    path("me/messages/", include(notify_resident_urls)),  # and their messages
    path("photos/", include(cases_photo_urls)),  # signed links, whoever the reader (linli.cases.photo_links)
    path("metrics/", include("linli.metrics.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
