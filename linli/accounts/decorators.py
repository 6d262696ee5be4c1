"""Views' guards shared by the apps."""

from django.contrib.auth.decorators import login_required

#: A resident's page: someone signed out is sent to the phone sign-in (not the staff password page), and brought
#: back to this page after it.
resident_login_required = login_required(login_url="me:sign_in")
