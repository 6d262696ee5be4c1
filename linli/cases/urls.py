"""Staff pages at ``/cases/`` (:data:`urlpatterns`), the residents' at ``/me/cases/`` (:data:`resident_urlpatterns`,
namespace ``mycases``: a resident account may open only ``/me/``), and the photos' signed links at ``/photos/``
(:data:`photo_urlpatterns`, for residents, staff and Open311 clients alike)."""

from django.urls import path

from linli.cases import views, views_calls, views_resident, views_settings

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/<slug:name>/", views.queue, name="queue_named"),
    path("bulk/", views.bulk, name="bulk"),
    path("new/", views.staff_report, name="new"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.transition, name="transition"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/call/", views_calls.call_record, name="call_record"),
    path("<int:pk>/call/phone/", views_calls.call_phone, name="call_phone"),
    path("calls/", views_calls.calls, name="calls"),
    path("<int:pk>/mediation/", views.mediation_start, name="mediation_start"),
    path("mediations/<int:pk>/", views.mediation_detail, name="mediation"),
    path("mediations/<int:pk>/agreement.pdf", views.mediation_agreement, name="mediation_agreement"),
    path("routing/", views_settings.routing, name="routing"),
    path("routing/<int:pk>/off/", views_settings.routing_deactivate, name="routing_off"),
    path("deadlines/", views_settings.deadlines, name="deadlines"),
    path("responses/", views_settings.responses, name="responses"),
    path("calendar/", views_settings.calendar, name="calendar"),
]

resident_urlpatterns = ([
    path("", views_resident.my_cases, name="list"),
    path("report/", views_resident.report, name="report"),
    path("report/similar/", views_resident.similar, name="similar"),
    path("<int:pk>/", views_resident.my_case, name="detail"),
    path("<int:pk>/me-too/", views_resident.me_too, name="me_too"),
    path("<int:pk>/me-too/withdraw/", views_resident.me_too_withdraw, name="me_too_withdraw"),
    path("<int:pk>/rate/", views_resident.rate, name="rate"),
    path("<int:pk>/answer/", views_resident.answer, name="answer"),
], "mycases")

photo_urlpatterns = [path("<str:token>/", views.photo, name="photo")]
