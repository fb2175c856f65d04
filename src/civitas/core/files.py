"""Files written so that an acknowledged upload survives a crash: a temporary file in the
target's folder, fsync, an atomic rename, and fsync of the folder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def store_bytes(root: Path, folder: str, data: bytes, extension: str) -> tuple[str, str]:
    """Write ``data`` under ``root/folder/<2 hex>/<sha256>.<extension>`` (once: the same
    content is one file); returns its path relative to ``root`` and its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{folder}/{digest[:2]}/{digest}.{extension}"
    target = root / relative
    if target.exists():
        return relative, digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself is durable
    finally:
        os.close(directory)
    return relative, digest
