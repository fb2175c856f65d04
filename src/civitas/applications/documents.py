"""Documents of an application: recognised by their content (never their name or the type
the browser claims), opened before they are accepted (a PDF's pages, an image's pixels),
size-limited per document, and written durably under the media root."""

from __future__ import annotations

from pathlib import Path

from civitas.core.files import store_bytes
from civitas.core.uploads import EXTENSIONS, Checked, check, sniff

__all__ = ["Checked", "check", "sniff", "store"]


def store(media_root: Path, tenant_id: int, checked: Checked) -> tuple[str, str]:
    """Write the file durably; its path below the media root and its SHA-256."""
    return store_bytes(
        media_root, f"{tenant_id}/applications", checked.data, EXTENSIONS[checked.kind]
    )
