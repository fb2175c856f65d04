"""Cases: the photos of a request, stored checked and served only where allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cases.media import CleanImage, store
from civitas.cases.models import RequestMedia, ServiceRequest
from civitas.cases.queries import _by_request, get_request
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core import audit
from civitas.core.errors import NotFound


def stored_photo(media_root: Path, city: City, image: CleanImage) -> dict[str, Any]:
    """Write a checked photo to the media store; returns the columns of its row."""
    path, digest = store(media_root, city.id, image)
    return {
        "path": path,
        "sha256": digest,
        "content_type": image.content_type,
        "size": len(image.data),
        "width": image.width,
        "height": image.height,
    }


def link_photos(
    db: Session, city: City, request: ServiceRequest, *, photos: list[dict[str, Any]], actor: str
) -> list[RequestMedia]:
    """Link stored photos to the request, with one audit entry (in the caller's transaction)."""
    enter_city(db, city)
    if not photos:
        return []
    if request.id is None:
        db.flush()  # the photos need the request's id
    linked = [RequestMedia(request_id=request.id, **photo) for photo in photos]
    db.add_all(linked)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="request.photos_added",
        entity_type="service_request",
        entity_id=request.number,
        changes={"photos": [m.id for m in linked]},
    )
    return linked


def attach_photos(
    db: Session,
    city: City,
    request: ServiceRequest,
    *,
    images: list[CleanImage],
    media_root: Path,
    actor: str,
) -> list[RequestMedia]:
    """Store checked photos and link them to the request (in the caller's transaction)."""
    photos = [stored_photo(media_root, city, image) for image in images]
    return link_photos(db, city, request, photos=photos, actor=actor)


def photos_of(db: Session, city: City, request_ids: list[int]) -> dict[int, list[RequestMedia]]:
    enter_city(db, city)
    if not request_ids:
        return {}
    return _by_request(
        db.scalars(
            select(RequestMedia)
            .where(RequestMedia.request_id.in_(request_ids))
            .order_by(RequestMedia.id)
        )
    )


def get_photo(db: Session, city: City, *, number: int, media_id: int) -> RequestMedia:
    request = get_request(db, city, number=number)
    media = db.scalar(
        select(RequestMedia).where(
            RequestMedia.id == media_id, RequestMedia.request_id == request.id
        )
    )
    if media is None:
        raise NotFound("No photo {media_id} on request {number}.", media_id=media_id, number=number)
    return media
