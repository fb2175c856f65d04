"""The demo's assistant: the words residents of each demo city use for its services (as
an administrator would teach them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.assistant.models import Synonym
from civitas.assistant.training import settings_of
from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings

# Peruvian Spanish and everyday German for the demo catalogue's services
SYNONYMS = {
    "PE": {
        "hueco": "pothole",
        "huecos": "pothole",
        "bache": "pothole",
        "pista rota": "pothole",
        "poste de luz": "streetlight",
        "foco": "streetlight",
        "alumbrado": "streetlight",
        "luz malograda": "streetlight",
        "basura": "missed-collection",
        "carro recolector": "missed-collection",
        "baja policía": "missed-collection",
        "desmonte": "illegal-dumping",
        "botadero": "illegal-dumping",
        "paradero": "bus-stop-damage",
        "bulla": "noise-complaint",
        "ruido": "noise-complaint",
        "serenazgo": "noise-complaint",
        "quema de basura": "air-quality-report",
        "humo": "air-quality-report",
        "grafiti": "graffiti",
        "pintas": "graffiti",
        "árbol": "tree-care",
        "mueble viejo": "bulky-waste",
        "reciclaje": "recycling-pickup",
        "partida": "birth-certificate",
        "mascota": "dog-registration",
        "perro": "dog-registration",
    },
    "DE": {
        "Loch in der Straße": "pothole",
        "Straßenschaden": "pothole",
        "Laterne": "streetlight",
        "Straßenlaterne": "streetlight",
        "Tonne": "missed-collection",
        "Müllabfuhr": "missed-collection",
        "wilder Müll": "illegal-dumping",
        "Sperrmüll": "bulky-waste",
        "Sofa": "bulky-waste",
        "Haltestelle": "bus-stop-damage",
        "Lärm": "noise-complaint",
        "Baum": "tree-care",
        "Hund": "dog-registration",
        "Ummeldung": "residence-registration",
        "umziehen": "residence-registration",
        "Parkausweis": "resident-parking",
    },
}


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    enter_city(db, city)
    settings_of(db, city)
    codes = {s.code for s in list_services(db, city)}
    known = set(db.scalars(select(Synonym.term)))
    added = 0
    for term, code in SYNONYMS.get(city.country, {}).items():
        if code in codes and term not in known:
            db.add(Synonym(term=term, service_code=code, created_by="demo"))
            added += 1
    return [f"assistant: {added} words for services"]
