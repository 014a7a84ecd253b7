"""Private file storage (quality.md T8): limits checked on the content, random stored names, and
downloads only through the permission-checked view in core.views."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from . import registry
from .models import PrivateFile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
# Type decided by the first bytes of the content, never by the name or the browser's claim.
MAGIC = {PDF: (b"%PDF-",), PNG: (b"\x89PNG\r\n\x1a\n",), JPEG: (b"\xff\xd8\xff",)}
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
STORAGE_DIR = "private"


def sniff(head: bytes) -> str | None:
    for content_type, prefixes in MAGIC.items():
        if head.startswith(prefixes):
            return content_type
    return None


def validate_file_count(files: Sequence[Any], *, already: int = 0) -> None:
    if len(files) + already > settings.UPLOAD_MAX_FILES:
        raise ValidationError(
            _("Too many files: at most %(limit)d may be attached.") % {"limit": settings.UPLOAD_MAX_FILES},
            code="too_many_files",
        )


def validate_upload(upload: Any, *, allowed: Sequence[str] = (PDF,)) -> str:
    """Check an uploaded file and return its content type, or raise ValidationError saying why."""
    name = upload.name or ""
    if not name or "/" in name or "\\" in name or ".." in name or "\x00" in name or len(name) > 200:
        raise ValidationError(
            _("The file name “%(name)s” is not allowed: use a plain name without folders.") % {"name": name[:80]},
            code="bad_name",
        )
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"name": name, "size": upload.size / 1e6, "limit": limit / 1e6},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None or content_type not in allowed:
        kinds = ", ".join(EXTENSIONS[t].lstrip(".").upper() for t in allowed)
        raise ValidationError(
            _("“%(name)s” is not a real %(kinds)s file (its content says otherwise).") % {"name": name, "kinds": kinds},
            code="bad_type",
        )
    if not name.lower().endswith(EXTENSIONS[content_type]) and not (
        content_type == JPEG and name.lower().endswith(".jpeg")
    ):
        raise ValidationError(
            _("“%(name)s” should end in %(ext)s to match its content.")
            % {"name": name, "ext": EXTENSIONS[content_type]},
            code="bad_extension",
        )
    return content_type


def store_upload(*, upload: Any, owner: Any, purpose: str, allowed: Sequence[str] = (PDF,)) -> PrivateFile:
    """Validate and store an upload under a random name; returns the PrivateFile record."""
    content_type = validate_upload(upload, allowed=allowed)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored_name = secrets.token_hex(16) + EXTENSIONS[content_type]
    default_storage.save(f"{STORAGE_DIR}/{stored_name}", upload)
    return PrivateFile.objects.create(
        owner=owner if owner is not None and owner.is_authenticated else None,
        purpose=purpose,
        original_name=upload.name,
        stored_name=stored_name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )


def open_file(private_file: PrivateFile) -> Any:
    return default_storage.open(f"{STORAGE_DIR}/{private_file.stored_name}", "rb")


def can_download(user: Any, private_file: PrivateFile) -> bool:
    """The owner and staff may; otherwise any app's registered check may grant access."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or (private_file.owner_id is not None and private_file.owner_id == user.pk):
        return True
    return any(check(user, private_file) for check in registry.FILE_ACCESS_CHECKS)
