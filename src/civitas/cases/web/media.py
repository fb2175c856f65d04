"""Photos of requests, served with headers that stop browsers from treating them as pages."""

from __future__ import annotations

from fastapi.responses import FileResponse

from civitas.cases import service
from civitas.core.errors import NotFound
from civitas.web.deps import AppSettings, CurrentCity, DbSession, RowId
from civitas.web.media import SAFE_HEADERS
from civitas.web.routers import Router

router = Router(include_in_schema=False)


@router.get("/media/{city}/{number}/{media_id}.{extension}")
def photo(
    city: CurrentCity,
    db: DbSession,
    settings: AppSettings,
    number: RowId,
    media_id: RowId,
    extension: str,
) -> FileResponse:
    media = service.get_photo(db, city, number=number, media_id=media_id)
    if not media.path.endswith("." + extension):
        raise NotFound("No photo {media_id} on request {number}.", media_id=media_id, number=number)
    path = settings.media_root / media.path
    if not path.is_file():
        raise NotFound("No photo {media_id} on request {number}.", media_id=media_id, number=number)
    return FileResponse(
        path,
        media_type=media.content_type,
        headers={
            **SAFE_HEADERS,
            "Content-Disposition": f'inline; filename="{number}-{media_id}.{extension}"',
        },
    )
