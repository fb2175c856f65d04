"""The demo's assistant: the words residents of each demo city use for its services (as
an administrator would teach them), and two months of conversations as residents had
them (services asked about, statuses, buses, the air, hand-offs the hotline answered,
sentences it did not understand), one resident waiting for a person now."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.assistant import service
from civitas.assistant.models import Conversation, Synonym
from civitas.assistant.training import settings_of
from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.config import Settings
from civitas.core.db import utcnow

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


# conversations as residents had them: each a list of messages; "{number}" is a request
CONVERSATIONS = {
    "es": [
        ["hola", "cuánto cuesta la partida de nacimiento", "gracias"],
        ["qué documentos piden para la licencia de funcionamiento"],
        ["estado de mi solicitud {number}"],
        ["cómo va mi reclamo {number}?", "ok gracias"],
        ["cuándo pasa el próximo micro en la plaza de armas"],
        ["cómo está el aire hoy"],
        ["a qué hora atiende la municipalidad"],
        ["quiero sacar cita para el matrimonio civil"],
        ["dónde pago mis arbitrios"],
        ["el agua no llega a mi casa desde ayer"],
        ["quiero una constancia de posesión"],
        ["hola", "quiero hablar con una persona"],
    ],
    "de": [
        ["Hallo", "was kostet eine Geburtsurkunde", "danke"],
        ["welche Unterlagen brauche ich für die Gewerbeanmeldung"],
        ["Stand meines Anliegens {number}"],
        ["was ist mit meiner Meldung {number}?", "danke"],
        ["wann kommt der nächste Bus am Hauptbahnhof"],
        ["wie ist die Luft heute"],
        ["wann hat das Bürgerbüro geöffnet"],
        ["Termin für die Eheschließung"],
        ["wie hoch ist die Hundesteuer"],
        ["ich suche einen Kita-Platz"],
        ["Sperrmüll Termin verschieben"],
        ["Guten Tag", "ich möchte mit einem Menschen sprechen"],
    ],
}
AGENT_REPLY = {
    "es": "Buenas tardes, le atiende la central de atención. ¿En qué le puedo ayudar?",
    "de": "Guten Tag, hier ist das Bürgertelefon. Wie kann ich helfen?",
}
DAYS = 60


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    added = teach_words(db, city)
    made = 0
    if not db.scalar(select(func.count()).select_from(Conversation)):
        made = _conversations(db, city)
    return [f"  assistant:       {added} words for services, {made} conversations"]


def teach_words(db: Session, city: City) -> int:
    """The words the city's residents use for its services, as an administrator would
    teach them (the tests and the benchmark use them too)."""
    enter_city(db, city)
    settings_of(db, city)
    codes = {s.code for s in list_services(db, city)}
    known = set(db.scalars(select(Synonym.term)))
    added = 0
    for term, code in SYNONYMS.get(city.country, {}).items():
        if code in codes and term not in known:
            db.add(Synonym(term=term, service_code=code, created_by="demo"))
            added += 1
    db.flush()
    return added


def _conversations(db: Session, city: City) -> int:
    """Two months of conversations, each turn through the assistant itself."""
    from civitas.cases.models import ServiceRequest

    language = city.default_language
    scripts = CONVERSATIONS.get(language, CONVERSATIONS["es"])
    numbers = list(
        db.scalars(
            select(ServiceRequest.number).where(ServiceRequest.private.is_(False)).limit(200)
        )
    )
    rng = random.Random(f"assistant-{city.slug}")  # noqa: S311 - demo data, not secrets
    now = utcnow()
    made = 0
    for day in range(DAYS, 0, -1):
        for _ in range(rng.choice((0, 1, 1, 2))):
            script = rng.choice(scripts)
            at = now - timedelta(days=day, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
            sender = f"demo-{city.slug}-{made}"
            key = None
            for text in script:
                if "{number}" in text:
                    if not numbers:
                        continue
                    text = text.format(number=rng.choice(numbers))
                answer = service.post(
                    db, city, text=text, channel="web", sender=sender, key=None, now=at
                )
                key = answer.conversation.key
                at += timedelta(seconds=rng.randint(20, 90))
            if key is None:
                continue
            made += 1
            conversation = service.find(db, city, key)
            if conversation.status == "waiting":  # the hotline answered within minutes
                agent = "user:agent"
                answered = at + timedelta(minutes=rng.randint(1, 12))
                service.take(db, city, key, agent=agent, now=answered)
                service.reply(db, city, key, agent=agent, text=AGENT_REPLY[language], now=answered)
                service.close(db, city, key, agent=agent, now=answered + timedelta(minutes=6))
            else:
                conversation.status = "closed"
                conversation.closed_at = at
    # one resident waiting for a person now
    service.post(
        db,
        city,
        text=scripts[-1][-1],
        channel="web",
        sender=f"demo-{city.slug}-waiting",
        now=now - timedelta(minutes=3),
    )
    db.flush()
    from civitas.insight.figures import current_month, months_back
    from civitas.insight.service import refresh_figures

    refresh_figures(db, city, months_back(city, current_month(city), 3), actor="system:demo")
    return made + 1
