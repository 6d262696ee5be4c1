from django.urls import path

from linli.org import views

app_name = "org"
urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("buildings/<int:pk>/", views.building_group, name="building"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/members/", views.team_member_add, name="team_member_add"),
    path("team-members/<int:pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("buildings/<int:pk>/cover/", views.household_cover, name="cover"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/membership/", views.membership_register, name="membership_register"),
]
