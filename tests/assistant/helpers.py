"""A test city with the demo catalogue (35 services in three languages) and the demo's
words for its services, as the assistant sees a real city."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civitas.cities.models import City
from civitas.core.config import get_settings
from civitas.core.db import session_scope

API = "/api/v1/cities/{city}/assistant/messages"


def with_catalogue(engine: Any, slug: str) -> None:
    from civitas.assistant import demo as assistant_demo
    from civitas.catalogue import demo as catalogue_demo

    with session_scope(engine) as db:
        city = db.scalars(select(City).where(City.slug == slug)).one()
        catalogue_demo.load(db, city, get_settings(), "x")
        assistant_demo.teach_words(db, city)


def say(client: Any, slug: str, text: str, conversation: str | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"text": text, **extra}
    if conversation:
        body["conversation_id"] = conversation
    answer = client.post(API.format(city=slug), json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def texts(answer: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in answer["replies"])
