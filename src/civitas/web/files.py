"""Stored files (an application's documents, a practice's attachments) as downloads: never
rendered by the browser as a page."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse


def download(media_root: Path, path: str, name: str, content_type: str) -> FileResponse:
    return FileResponse(
        media_root / path,
        media_type=content_type,
        filename=name,
        headers={
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "cache-control": "private, no-store",
        },
    )
