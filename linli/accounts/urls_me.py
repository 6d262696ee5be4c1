from django.urls import path

from linli.accounts import views_me

app_name = "me"
urlpatterns = [
    path("", views_me.home, name="home"),
    path("sign-in/", views_me.sign_in, name="sign_in"),
    path("sign-in/code/", views_me.sign_in_code, name="sign_in_code"),
    path("claim/", views_me.claim, name="claim"),
    path("sign-out/", views_me.sign_out, name="sign_out"),
]
