"""Photos of reports and results: checked, re-encoded without EXIF, attached to a case event."""

import io

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from linli.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
)
from linli.core.errors import ApplicationError

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# --- photos -------------------------------------------------------------------------------------------------------

def photo_clean(upload) -> tuple[ContentFile, str]:
    """Check an uploaded photo (JPEG, PNG or WebP by its content, at most 5 MB) and re-encode it without EXIF.

    Returns the clean file and its content type; raises ApplicationError naming the ``photos`` field."""
    from PIL import Image, ImageOps

    size = getattr(upload, "size", None)
    data = upload.read() if size is None or size <= MAX_PHOTO_BYTES else b""
    if size is None:
        size = len(data)
    if size > MAX_PHOTO_BYTES:
        raise ApplicationError(_("A photo may be at most 5 MB (“%(name)s” is bigger).")
                               % {"name": getattr(upload, "name", "")}, field="photos")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in PHOTO_FORMATS:
            raise ValueError(fmt)
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = ImageOps.exif_transpose(img)
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            out = io.BytesIO()
            clean.save(out, format=fmt, **({"quality": 85} if fmt in ("JPEG", "WEBP") else {}))
    except (ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ApplicationError(_("“%(name)s” is not a JPEG, PNG or WebP photo.")
                               % {"name": getattr(upload, "name", "")}, field="photos") from None
    content_type, ext = PHOTO_FORMATS[fmt]
    return ContentFile(out.getvalue(), name=f"photo.{ext}"), content_type


def _attach(case: Case, event: CaseEvent | None, photos, actor) -> list[CaseAttachment]:
    photos = list(photos or [])
    if not photos:
        return []
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}, field="photos")
    cleaned = [photo_clean(p) for p in photos]  # all checked before any is saved
    rows = []
    for content, content_type in cleaned:
        row = CaseAttachment(case=case, event=event, content_type=content_type, size=content.size,
                             uploaded_by=actor if getattr(actor, "pk", None) else None)
        row.image.save(content.name, content, save=False)
        row.save()
        rows.append(row)
    return rows


