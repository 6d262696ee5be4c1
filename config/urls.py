"""URL wiring only: each app owns its own urls.py."""

from django.urls import include, path

from linli.api.api import api

urlpatterns = [
    path("", include("linli.overview.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("places/", include("linli.places.urls")),
    path("notifications/", include("linli.notify.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
