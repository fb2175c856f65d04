"""Photos: recognised by their content (never their name), size-limited, re-encoded with
orientation applied and every metadata block (EXIF with GPS, XMP, comments) dropped."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from civitas.core.errors import InvalidInput, Problem
from civitas.core.files import store_bytes
from civitas.core.i18n import N_

FORMATS = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
}


def sniff(data: bytes) -> str | None:
    """The image format from the first bytes: JPEG, PNG or WebP; anything else is None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


def _refuse(where: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput(
        "The photo cannot be accepted.", problems=[Problem(where, message, dict(params))]
    )


def clean(data: bytes, *, where: str, max_bytes: int, max_pixels: int) -> CleanImage:
    """A safe copy of the photo, or InvalidInput naming what is wrong."""
    if len(data) > max_bytes:
        raise _refuse(where, N_("The photo is larger than {limit} MB."), limit=max_bytes // 2**20)
    fmt = sniff(data)
    if fmt is None:
        raise _refuse(where, N_("This is not a JPEG, PNG or WebP image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format is None or probe.format.lower() != fmt:
                    raise _refuse(where, N_("This is not a JPEG, PNG or WebP image."))
                if probe.width * probe.height > max_pixels:
                    raise _refuse(where, N_("The photo has too many pixels."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _refuse(where, N_("The image file is damaged or not an image.")) from None
    out = io.BytesIO()
    if fmt == "jpeg":
        upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "png":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=88)
    return CleanImage(out.getvalue(), fmt, upright.width, upright.height)


def store(media_root: Path, tenant_id: int, image: CleanImage) -> tuple[str, str]:
    """Write the photo durably (core.files); returns its relative path and hash."""
    return store_bytes(media_root, str(tenant_id), image.data, image.extension)
