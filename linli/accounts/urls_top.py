"""Top-level pages of accounts: the resident portal at ``/me/`` and the audit trail at ``/audit/``."""

from django.urls import include, path

urlpatterns = [
    path("me/", include("linli.accounts.urls_me")),
    path("audit/", include("linli.accounts.urls_audit")),
]
