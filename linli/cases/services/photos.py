"""Photos of reports and results: checked, re-encoded without EXIF, attached to a case event."""

import contextlib
import contextvars
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


def photos_clean_all(photos) -> list[tuple[ContentFile, str]]:
    """Every photo checked and re-encoded (at most :data:`MAX_PHOTOS`), before anything is written."""
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}, field="photos")
    return [photo_clean(p) for p in photos]


def _attach(case: Case, event: CaseEvent | None, photos, actor) -> list[CaseAttachment]:
    return _attach_clean(case, event, photos_clean_all(photos), actor)


def _attach_clean(case: Case, event: CaseEvent | None, cleaned, actor) -> list[CaseAttachment]:
    """Save checked photos (files, then their rows). Call it inside :func:`photos_removed_on_failure`, so that the
    files go again when the change they belong to fails."""
    rows = []
    saved = _saved_files.get()
    for content, content_type in cleaned:
        row = CaseAttachment(case=case, event=event, content_type=content_type, size=content.size,
                             uploaded_by=actor if getattr(actor, "pk", None) else None)
        row.image.save(content.name, content, save=False)
        if saved is not None:
            saved.append((row.image.storage, row.image.name))
        row.save()
        rows.append(row)
    return rows


_saved_files: contextvars.ContextVar[list | None] = contextvars.ContextVar("linli_cases_saved_photos", default=None)


@contextlib.contextmanager
def photos_removed_on_failure():
    """Photo files saved inside this block are deleted again when the block fails: the transaction that would have
    named them is rolled back, and a file nobody names must not stay in MEDIA_ROOT. Put it *outside* the
    ``transaction.atomic()`` block, so that a failing commit is covered too. Inside another such block, files of a
    block that succeeded are handed to the outer one (its failure still removes them)."""
    saved: list = []
    outer = _saved_files.get()
    token = _saved_files.set(saved)
    try:
        yield
    except BaseException:
        for storage, name in saved:
            with contextlib.suppress(OSError):
                storage.delete(name)
        raise
    else:
        if outer is not None:
            outer.extend(saved)
    finally:
        _saved_files.reset(token)
