from django.conf import settings


def linli(request):
    """What every page needs: the languages to switch between and the signed-in person's roles."""
    user = getattr(request, "user", None)
    return {
        "LINLI_LANGUAGES": settings.LANGUAGES,
        "user_roles": list(user.role_assignments.all()) if user is not None and user.is_authenticated else [],
    }
