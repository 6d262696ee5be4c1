"""Links to the photos of cases: signed, short-lived, one photo each.

A photo (of a resident's kitchen, of a neighbour's door) is shown only to whoever may see its case. The pages and the
Open311 answers that show a case — already within the reader's scope — link each photo with a signed token naming
that one photo, valid for :data:`PHOTO_LINK_TTL`; :func:`linli.cases.views.photo` serves it to whoever holds a valid
link, and answers 404 to anything else (forged, expired, no such photo). One kind of link serves a resident on their
phone, staff at the desk and an Open311 client alike, without a storage path anyone could guess or a key in a URL.
"""

import datetime as dt

from django.core import signing
from django.urls import reverse

#: How long a photo's link works: a working day's page left open, not a link forwarded a week later.
PHOTO_LINK_TTL = dt.timedelta(hours=12)
_SALT = "linli.cases.photo"


def photo_url(attachment) -> str:
    """The path of a signed link to ``attachment``'s photo."""
    return reverse("photo", args=[signing.dumps(attachment.pk, salt=_SALT, compress=False)])


def photo_key(token: str) -> int | None:
    """The key of the photo a link names, or None when it is forged, damaged or expired."""
    try:
        key = signing.loads(token, salt=_SALT, max_age=PHOTO_LINK_TTL)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return key if isinstance(key, int) else None
