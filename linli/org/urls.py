from django.urls import path

from linli.org import views, views_manage

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
    # managing the chain, anchors and teams (desk pages)
    path("organisations/new/", views_manage.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views_manage.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/leadership/", views_manage.organisation_leadership, name="organisation_leadership"),
    path("memberships/<int:pk>/end/", views_manage.membership_end, name="membership_end"),
    path("buildings/<int:pk>/anchors/", views_manage.anchor_designate, name="anchor_designate"),
    path("anchors/<int:pk>/end/", views_manage.anchor_end, name="anchor_end"),
    path("teams/new/", views_manage.team_new, name="team_new"),
    path("team-members/<int:pk>/buildings/", views_manage.member_buildings, name="member_buildings"),
]
