"""Uploaded documents and photos, recognised by their content (never their name or the
type the browser claims), opened before they are accepted (a PDF's pages, an image's
pixels) and size-limited: an application's documents, a good practice's attachments."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
TYPE_NAMES = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}
MAX_PIXELS = 60_000_000
MAX_PDF_PAGES = 200


def sniff(data: bytes) -> str | None:
    """The file's kind from its first bytes: pdf, jpeg or png; anything else None."""
    if data[:1024].lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


@dataclass(frozen=True)
class Checked:
    data: bytes
    kind: str
    name: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def _refuse(where: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput(
        "The file cannot be accepted.", problems=[Problem(where, message, dict(params))]
    )


def safe_name(name: str, kind: str) -> str:
    """A file name fit to show and to offer for download: no path, no control characters,
    at most 100 characters, with the extension of its real kind."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip(" .") or "document"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:90]}.{EXTENSIONS[kind]}"


def check(data: bytes, *, name: str, where: str, types: list[str], max_bytes: int) -> Checked:
    """The file if it is what the document allows, else InvalidInput naming the problem."""
    if not data:
        raise _refuse(where, N_("The file is empty."))
    if len(data) > max_bytes:
        raise _refuse(
            where,
            N_("The file is larger than {limit} MB."),
            limit=round(max_bytes / 1024 / 1024, 1),
        )
    kind = sniff(data)
    allowed = ", ".join(TYPE_NAMES[t] for t in types)
    if kind is None or kind not in types:
        raise _refuse(where, N_("The file must be a {types} file."), types=allowed)
    if kind == "pdf":
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise _refuse(where, N_("The PDF is protected by a password; upload it without."))
            pages = len(reader.pages)
        except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
            raise _refuse(where, N_("The PDF cannot be opened; it may be damaged.")) from None
        if pages == 0 or pages > MAX_PDF_PAGES:
            raise _refuse(where, N_("The PDF cannot be opened; it may be damaged."))
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as probe:
                    if probe.width * probe.height > MAX_PIXELS:
                        raise _refuse(where, N_("The image has too many pixels."))
                    probe.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise _refuse(where, N_("The image cannot be opened; it may be damaged.")) from None
    return Checked(data, kind, safe_name(name, kind))
