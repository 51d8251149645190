"""Cleaning uploaded photos, shared by every app that stores them (meeting attachments, feed posts).

An image is recognised by its content (Pillow must open it as JPEG, PNG or WebP), never by its
file name, and re-encoded: turned upright by its EXIF orientation, shrunk so that the longest side
is at most ``max_side`` pixels, and saved without any metadata, so a phone photo's GPS position
(EXIF tag 0x8825) never reaches storage (个人信息保护法). Decompression bombs are refused before
their pixels are decoded.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

MB = 1024 * 1024
MAX_IMAGE_BYTES = 10 * MB
# Refuse decompression bombs early: a 10 MB PNG can claim billions of pixels.
MAX_IMAGE_PIXELS = 60_000_000

#: Pillow format → (content type, file extension written).
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
CONTENT_TYPES_BY_EXTENSION = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
SAVE_OPTIONS = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}


@dataclass(frozen=True)
class CleanImage:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int
    format: str


def refuse(message: str, *, field: str = "file") -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}], code="bad_file")


def read_upload(uploaded_file, *, max_bytes: int, too_big: str, field: str = "file") -> bytes:
    """All the bytes of an upload, refusing (DomainError ``too_big``) one over ``max_bytes``
    before reading it when its size is known, and after reading otherwise."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise refuse(too_big, field=field)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read()
    if len(data) > max_bytes:
        raise refuse(too_big, field=field)
    return data


def upload_name(uploaded_file, default: str = "图片") -> str:
    """The base name the client sent (never trusted for the type; only shown and reused as a stem)."""
    return os.path.basename(getattr(uploaded_file, "name", "") or "").strip() or default


def clean_image(
    data: bytes,
    original: str,
    *,
    max_side: int,
    field: str = "file",
    hint: str = "",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> CleanImage:
    """Open with Pillow (JPEG, PNG or WebP only), orient, downscale to ``max_side``, re-encode
    without metadata; raise DomainError (on ``field``) for anything else."""
    not_image = refuse(f"“{original}”不是有效的 JPG、PNG 或 WebP 图片。{hint}", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            if fmt not in IMAGE_FORMATS:
                raise not_image
            if probe.width * probe.height > max_pixels:
                raise refuse(f"图片“{original}”像素过大，不能上传。", field=field)
            probe.verify()
            # verify() leaves the image unusable: open again to decode the pixels.
            image = Image.open(io.BytesIO(data))
            image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        raise not_image from None

    image = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Drop every piece of metadata (EXIF with GPS, XMP, comments, text chunks) before saving.
    image.info = {}
    out = io.BytesIO()
    image.save(out, format=fmt, **SAVE_OPTIONS[fmt])
    content_type, ext = IMAGE_FORMATS[fmt]
    stem = os.path.splitext(original)[0] or "图片"
    return CleanImage(f"{stem}{ext}", content_type, out.getvalue(), image.width, image.height, fmt)


def content_type_of(name: str) -> str:
    """The content type of a stored (already cleaned) image, by the extension we wrote."""
    return CONTENT_TYPES_BY_EXTENSION.get(os.path.splitext(name)[1].lower(), "application/octet-stream")
