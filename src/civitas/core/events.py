"""In-process domain events: a domain announces what happened ("case.closed"), another
reacts, in the same transaction, without the first importing the second.

Subscribers register when their module is imported; each domain's manifest lists its
subscriber modules, and the loader (``civitas.core.plugins``) imports them in every process
before the first event is published."""

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
    from civitas.core.plugins import domains

    domains()  # every installed domain's subscribers are registered (once per process)

    for handler in list(_handlers.get(name, ())):
        handler(**payload)
