from django.urls import path

from linli.accounts import views_audit

app_name = "audit"
urlpatterns = [
    path("", views_audit.audit_list, name="list"),
]
