from __future__ import annotations

from fastapi.responses import JSONResponse
from sqlalchemy import text

from civitas.core.db import get_engine
from civitas.core.migrate import current_revision, head_revision
from civitas.web.routers import Router

router = Router(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and migrated to the latest revision")
def readyz() -> JSONResponse:
    try:
        engine = get_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = current_revision(engine), head_revision()
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": str(exc.__class__.__name__)}, 503)
    if current != head:
        return JSONResponse(
            {"status": "migrations pending", "database": "ok", "revision": current, "head": head},
            503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "revision": current})
