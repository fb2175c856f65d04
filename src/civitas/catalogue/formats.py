"""One entry point for every export format the catalogue speaks."""

from __future__ import annotations

import json
from typing import Literal

from sqlalchemy.orm import Session

from civitas.catalogue import cpsv, export, open311
from civitas.catalogue.service import list_services, shown_channels
from civitas.cities.models import City
from civitas.cities.service import list_departments

ExportFormat = Literal["cpsv-ap", "open311", "yaml"]
MEDIA_TYPES: dict[str, str] = {
    "cpsv-ap": "application/ld+json",
    "open311": "application/json",
    "yaml": "application/yaml",
}


def export_catalogue(
    db: Session,
    city: City,
    *,
    fmt: ExportFormat,
    base_url: str,
    lang: str,
    include_unpublished: bool,
) -> str:
    services = list_services(db, city, include_unpublished=include_unpublished)
    if fmt == "cpsv-ap":
        return json.dumps(
            cpsv.export_cpsv(
                city,
                services,
                base_url=base_url,
                shown={s.code: shown_channels(db, city, s) for s in services},
            ),
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "open311":
        return json.dumps(open311.service_list(city, services, lang), ensure_ascii=False, indent=2)
    return export.to_yaml(list_departments(db, city), services)
