"""Build each demo city's catalogue from the shared demo files (fees and laws per country)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from civitas.catalogue.importer import CatalogueFile
from civitas.catalogue.service import apply_import
from civitas.cities.models import City
from civitas.core.config import Settings

ACTOR = "system:demo"
DEMO = Path(__file__).resolve().parent / "demo"


def _load(name: str) -> Any:
    return yaml.safe_load((DEMO / name).read_text(encoding="utf-8"))


def demo_catalogue(city: City) -> CatalogueFile:
    common = _load("common.yaml")
    laws = common["laws"][city.country]
    lang = city.default_language
    services = []
    for raw in _load("services.yaml"):
        item = {
            k: v
            for k, v in raw.items()
            if k not in ("fee", "law", "hours", "docs", "keywords", "who")
        }
        item["eligibility"] = common["audiences"][raw.get("who", "everyone")]
        if "fee" in raw:
            item["fees"] = [{"amount_minor": raw["fee"][city.currency], "currency": city.currency}]
        if "law" in raw:
            law = laws[raw["law"][city.country]]
            item["legal_basis"] = [{"title": {lang: law["title"]}, "url": law["url"]}]
        if "hours" in raw:
            item["opening_hours"] = common["hours"][raw["hours"]]
        if "docs" in raw:
            item["documents"] = [{"code": d, "name": common["documents"][d]} for d in raw["docs"]]
        if "keywords" in raw:
            item.setdefault("open311", {})["keywords"] = raw["keywords"]
        services.append(item)
    departments = [
        {k: (v.get(city.country) if k in ("address", "phone") else v) for k, v in d.items()}
        for d in _load("departments.yaml")
    ]
    return CatalogueFile.model_validate({"departments": departments, "services": services})


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    """The demo hook: the city's departments and its 35 services."""
    catalogue = demo_catalogue(city)
    apply_import(
        db, city, departments=catalogue.departments, services=catalogue.services, actor=ACTOR
    )
    return [f"  catalogue:       {settings.public_url}/{city.slug}/"]
