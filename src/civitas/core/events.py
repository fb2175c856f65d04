"""In-process domain events: a domain announces what happened ("case.closed"), another
reacts, in the same transaction, without the first importing the second.

Subscribers register when their package is imported (``civitas.models`` imports every
domain, so every process that touches the database has them all)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def publish(name: str, /, **payload: Any) -> None:
    """Call every handler of the event, in the caller's transaction (an error in one rolls
    back the change that caused it: nothing is half-written)."""
    import civitas.models  # noqa: F401 - every domain, so every subscriber is registered

    for handler in list(_handlers.get(name, ())):
        handler(**payload)
