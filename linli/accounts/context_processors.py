from django.utils.functional import SimpleLazyObject

from linli.accounts.permissions import user_permissions


def security(request):
    """``linli_perms``: the signed-in person's permissions (computed only when a template asks);
    ``two_factor_pending``: the person still owes the two-factor step (the menu's links would only bounce)."""
    user = getattr(request, "user", None)
    return {"linli_perms": SimpleLazyObject(lambda: user_permissions(user)),
            "two_factor_pending": getattr(request, "linli_two_factor_step", None) is not None}
