"""Excel import/export routes (included under ``/places/`` in the ``places`` namespace)."""

from django.urls import path

from linli.places import views_io

urlpatterns = [
    path("compounds/<int:pk>/import/", views_io.import_start_view, name="import"),
    path("imports/<int:pk>/", views_io.import_job, name="import_job"),
    path("templates/<slug:kind>.xlsx", views_io.import_template, name="import_template"),
    path("compounds/<int:pk>/export/<slug:kind>.xlsx", views_io.export, name="export"),
]
