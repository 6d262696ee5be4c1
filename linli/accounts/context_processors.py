from django.utils.functional import SimpleLazyObject

from linli.accounts.permissions import user_permissions


def security(request):
    """``linli_perms``: the signed-in person's permissions (computed only when a template asks)."""
    user = getattr(request, "user", None)
    return {"linli_perms": SimpleLazyObject(lambda: user_permissions(user))}
