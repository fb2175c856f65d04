"""Photos over HTTP: reading uploads, links to stored photos, serving them safely."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from starlette.datastructures import UploadFile

from civitas.cases.media import CleanImage, clean
from civitas.core.config import Settings
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

MEDIA_FIELDS = ("media", "media[]")

# served photos: never sniffed, never run, cached for a day
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=86400, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


async def read_uploads(
    items: Iterable[tuple[str, object]], settings: Settings
) -> list[tuple[str, bytes]]:
    """The uploaded files of a multipart form, read whole, at most the allowed number."""
    files = [(name, value) for name, value in items if isinstance(value, UploadFile)]
    if len(files) > settings.max_photos_per_request:
        raise InvalidInput(
            "The photo cannot be accepted.",
            problems=[
                Problem(
                    "media",
                    N_("Send at most {count} photos."),
                    {"count": settings.max_photos_per_request},
                )
            ],
        )
    read = []
    for name, upload in files:
        if name not in MEDIA_FIELDS:
            raise InvalidInput(
                "The photo cannot be accepted.",
                problems=[Problem(name, N_("Send photos in the field 'media'."))],
            )
        read.append((name, await upload.read(settings.max_photo_bytes + 1)))
    return read


def clean_uploads(uploads: list[tuple[str, bytes]], settings: Settings) -> list[CleanImage]:
    """Every upload checked; all problems at once."""
    images, problems = [], []
    for index, (_, data) in enumerate(uploads):
        try:
            images.append(
                clean(
                    data,
                    where=f"media[{index}]",
                    max_bytes=settings.max_photo_bytes,
                    max_pixels=settings.max_photo_pixels,
                )
            )
        except InvalidInput as exc:
            problems += exc.problems
    if problems:
        raise InvalidInput("The photo cannot be accepted.", problems=problems)
    return images


class StoredPhoto(Protocol):
    """A stored photo (a RequestMedia, or what a list row says of its first photo)."""

    @property
    def id(self) -> int: ...
    @property
    def path(self) -> str: ...


@dataclass(frozen=True)
class PhotoRef:
    id: int
    path: str


class Numbered(Protocol):
    @property
    def number(self) -> int: ...


def photo_path(city_slug: str, request: Numbered, media: StoredPhoto) -> str:
    """The photo's address on this server (for pages)."""
    extension = media.path.rsplit(".", 1)[-1]
    return f"/media/{city_slug}/{request.number}/{media.id}.{extension}"


def photo_url(settings: Settings, city_slug: str, request: Numbered, media: StoredPhoto) -> str:
    """The photo's full address (for API clients)."""
    return settings.public_url.rstrip("/") + photo_path(city_slug, request, media)
