from django.urls import path

from linli.overview import views

app_name = "overview"
urlpatterns = [
    path("", views.home, name="home"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound"),
]
