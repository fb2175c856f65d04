"""Questions one domain answers for another that must not import it.

A domain a city may turn off (transit, air quality, applications, appointments) answers
questions here: ``answer("transit.departures", fn)`` when its module is imported. A domain
that asks (the resident assistant) calls :func:`ask`, which gives ``None`` when no
installed domain answers, or when the city runs none that does; the asker then says so
plainly instead of guessing. Answers are plain data (dicts, lists, strings), never a
domain's models, so the asker knows nothing of the answering domain's insides.

Each provider is ``fn(db, city, **question) -> answer | None`` and names the domain it
belongs to, so a domain a city switched off is never asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Provider = Callable[..., Any]


@dataclass(frozen=True)
class _Answerer:
    domain: str
    fn: Provider


_answerers: dict[str, list[_Answerer]] = {}


def answer(question: str, domain: str) -> Callable[[Provider], Provider]:
    """Register ``fn`` as an answer to ``question`` from ``domain`` (a decorator)."""

    def register(fn: Provider) -> Provider:
        found = _answerers.setdefault(question, [])
        if all(a.fn is not fn for a in found):
            found.append(_Answerer(domain, fn))
        return fn

    return register


def ask(question: str, db: Any, city: Any, /, **asked: Any) -> Any:
    """The first answer an installed domain the city runs gives (not None), else None."""
    from civitas.core import plugins

    plugins.domains()  # every installed domain's answers are registered
    for answerer in _answerers.get(question, ()):
        if not plugins.enabled(city, answerer.domain):
            continue
        found = answerer.fn(db, city, **asked)
        if found is not None:
            return found
    return None
