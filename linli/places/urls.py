from django.urls import include, path

from linli.places import views

app_name = "places"
urlpatterns = [
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("residents/", views.resident_list, name="residents"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("merchants/", views.merchant_list, name="merchants"),
    path("grids/", views.grid_list, name="grids"),
    # Excel import and export (linli/places/urls_io.py)
    path("", include("linli.places.urls_io")),
]
