"""Shared by the transit benchmarks: a fresh database with one city and the largest real
GTFS feed of the repository (Cairns, 37,790 stop times), and that feed's path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).resolve().parents[1] / "tests" / "transit" / "data"
LARGEST = FEEDS / "cairns_gtfs.zip"


def make_city(url: str) -> Any:
    """Migrate the database at ``url`` and create the city "bench" (answers the engine)."""
    os.environ["CIVITAS_DATABASE_URL"] = url
    from civitas.cities.schemas import CityCreate
    from civitas.cities.service import create_city
    from civitas.core.db import engine_for, session_scope
    from civitas.core.migrate import upgrade

    engine = engine_for(url)
    upgrade(engine)
    with session_scope(engine) as db:
        create_city(
            db,
            CityCreate.model_validate(
                {
                    "slug": "bench",
                    "name": "Cairns",
                    "country": "AU",
                    "languages": ["en"],
                    "default_language": "en",
                    "timezone": "Australia/Brisbane",
                    "currency": "AUD",
                    "jurisdiction_id": "bench.example",
                    "center_lat": -16.92,
                    "center_lon": 145.77,
                    "extent": {
                        "min_lat": -17.4,
                        "min_lon": 145.4,
                        "max_lat": -16.5,
                        "max_lon": 146.1,
                    },
                }
            ),
        )
    return engine
