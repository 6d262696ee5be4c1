from django.contrib.auth import views as auth_views
from django.urls import path

from linli.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("invitations/building/<int:pk>/print/", views.invitation_print, name="invitation_print"),
    path("invitations/unit/<int:pk>/reissue/", views.invitation_reissue, name="invitation_reissue"),
]
