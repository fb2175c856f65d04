"""A city's model: the repository's examples, sentences made from the city's catalogue
(each service's names in sentences of each kind, in each language), and the examples
its administrators taught and approved. The service names, keywords and synonyms are
also the terms the service is recognised by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.assistant import nlu
from civitas.assistant.entities import Descriptions, Term
from civitas.assistant.models import AssistantSettings, Example, Synonym
from civitas.catalogue.models import Service
from civitas.catalogue.service import list_services
from civitas.cities.models import City
from civitas.cities.service import enter_city

# sentences a service's name goes in, by kind of service and language
REPORT = {
    "es": ("reportar {name}", "quiero reportar: {name}"),
    "de": ("{name} melden", "Meldung: {name}"),
    "en": ("report {name}", "I want to report: {name}"),
}
INFO = {
    "es": ("información sobre {name}", "qué necesito para {name}"),
    "de": ("Informationen zu {name}", "was brauche ich für {name}"),
    "en": ("information about {name}", "what do I need for {name}"),
}
APPLY = {
    "es": ("solicitar {name} en línea",),
    "de": ("{name} online beantragen",),
    "en": ("apply online for {name}",),
}
BOOK = {
    "es": ("cita para {name}",),
    "de": ("Termin für {name}",),
    "en": ("appointment for {name}",),
}


def settings_of(db: Session, city: City) -> AssistantSettings:
    enter_city(db, city)
    found = db.scalar(select(AssistantSettings))
    if found is None:
        found = AssistantSettings()
        db.add(found)
        db.flush()
    return found


def catalogue_examples(services: list[Service]) -> list[nlu.Example]:
    found: list[nlu.Example] = []
    for s in services:
        for language, name in s.name.items():
            if language not in nlu.LANGUAGES or not name:
                continue
            kinds: list[tuple[str, tuple[str, ...]]] = []
            if s.is_open311:
                kinds.append(("report_problem", REPORT[language]))
            else:
                kinds.append(("service_info", INFO[language]))
                if "online" in s.channels:
                    kinds.append(("apply_online", APPLY[language]))
                if "office" in s.channels:
                    kinds.append(("book_appointment", BOOK[language]))
            for intent, sentences in kinds:
                found.extend(
                    nlu.Example(t.format(name=name.lower()), intent, language) for t in sentences
                )
    return found


def taught(db: Session, city: City, *, pending: bool = False) -> list[nlu.Example]:
    """The examples the city's administrators taught: approved ones (with ``pending``,
    those waiting for approval too)."""
    enter_city(db, city)
    stmt = select(Example)
    if not pending:
        stmt = stmt.where(Example.approved.is_(True))
    return [nlu.Example(e.text, e.intent, e.language) for e in db.scalars(stmt)]


def examples_of(db: Session, city: City, *, pending: bool = False) -> list[nlu.Example]:
    services = list_services(db, city)
    return [
        *nlu.builtin_examples(),
        *catalogue_examples(services),
        *taught(db, city, pending=pending),
    ]


def model_of(db: Session, city: City) -> nlu.Model:
    """The model the assistant answers with in this city."""
    settings = settings_of(db, city)
    return nlu.model_for(examples_of(db, city), threshold=settings.threshold)


@dataclass(frozen=True)
class Catalogue:
    """What the assistant knows of the city's services: each by code, and the terms it is
    recognised by."""

    services: dict[str, Service]
    terms: list[Term]
    descriptions: Descriptions


def catalogue_of(db: Session, city: City) -> Catalogue:
    services = list_services(db, city)
    terms: list[Term] = []
    for s in services:
        terms.extend(Term(name, s.code) for name in s.name.values() if name)
        terms.extend(Term(k, s.code) for k in s.keywords if k)
    codes = {s.code for s in services}
    enter_city(db, city)
    for synonym in db.scalars(select(Synonym)):
        if synonym.service_code in codes:
            terms.append(Term(synonym.term, synonym.service_code))
    documents: dict[str, list[str]] = {s.code: [] for s in services}
    for s in services:
        documents[s.code] += [*s.name.values(), *s.description.values()]
    for term in terms:
        documents[term.code].append(term.text)
    return Catalogue({s.code: s for s in services}, terms, _descriptions(documents))


_described: dict[str, Descriptions] = {}


def _descriptions(documents: dict[str, list[str]]) -> Descriptions:
    """The services' descriptions as vectors, made once per catalogue (by its contents)."""
    joined = {code: " . ".join(texts) for code, texts in sorted(documents.items())}
    key = hashlib.sha256(repr(sorted(joined.items())).encode()).hexdigest()
    found = _described.get(key)
    if found is None:
        found = Descriptions(joined)
        if len(_described) > 16:
            _described.clear()
        _described[key] = found
    return found


def check(db: Session, city: City) -> dict[str, Any]:
    """Train on every example, those waiting for approval too, scored on a held-out fifth
    first: what the administrator sees before the new model is used."""
    settings = settings_of(db, city)
    model = nlu.checked_model_for(examples_of(db, city, pending=True), threshold=settings.threshold)
    return nlu.describe(model)
