"""Domain errors. Domain code raises these; the web layer maps them to HTTP.

Messages are English msgids; the web layer translates them into the reader's language
with the ``params`` filled in, so every person sees what was wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a field path or line) and what."""

    location: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class CivitasError(Exception):
    code = "error"
    status = 400

    def __init__(
        self, message: str, *, problems: list[Problem] | None = None, **params: Any
    ) -> None:
        # a message with plural forms (core.i18n.NP_) takes the form its ``count`` needs
        self.plural: str | None = getattr(message, "plural", None)
        english = self.plural if self.plural and params.get("count") != 1 else message
        super().__init__(english.format(**params) if params else english)
        self.message = message
        self.params = params
        self.problems = problems or []

    def text(self, lang: str) -> str:
        """The message in a language, its parameters filled in (its plural form for its
        ``count``)."""
        from civitas.core.i18n import translate

        return translate(lang, self.message, **self.params)


class NotFound(CivitasError):
    code = "not_found"
    status = 404


class InvalidInput(CivitasError):
    code = "invalid_input"
    status = 400


class Conflict(CivitasError):
    code = "conflict"
    status = 409


class Unauthenticated(CivitasError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(CivitasError):
    code = "permission_denied"
    status = 403


class TooManyAttempts(CivitasError):
    code = "too_many_attempts"
    status = 429


class TenancyViolation(RuntimeError):
    """A programming error: code tried to cross the boundary between cities."""
