"""Languages: gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``), negotiation,
and picking the right text out of a multilingual field.

The ``.po`` files are compiled in memory by Babel on first use, so no binary ``.mo`` files
are committed and a translator only edits text.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("es", "de", "en")
# The reader's locale (``es_PE``, ``de_DE``) while a request is served: a message's decimal
# parameters (2.5 kg) are written in it. Outside a request they are written plainly.
reader_locale: ContextVar[str | None] = ContextVar("reader_locale", default=None)
LANGUAGE_NAMES = {"es": "Español", "de": "Deutsch", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a text for extraction; it is translated where it is shown."""
    return msgid


class Plural(str):
    """A message id with its plural form (made by :func:`NP_`); it reads as the singular
    wherever a plain message is expected."""

    plural: str


def NP_(singular: str, plural: str) -> Plural:  # noqa: N802 - the gettext convention
    """Mark a message with plural forms for extraction; translated with its ``count``."""
    marked = Plural(singular)
    marked.plural = plural
    return marked


def translate(lang: str, msgid: str, /, **params: Any) -> str:
    """The message in a language with its parameters filled in; a message with plural
    forms (:func:`NP_`) takes the form its ``count`` needs."""
    plural = getattr(msgid, "plural", None)
    if plural is not None and "count" in params:
        others = {k: v for k, v in params.items() if k != "count"}
        return translate_plural(lang, msgid, plural, params["count"], **others)
    text = translations(lang).gettext(msgid)
    return text.format(**_localised(params)) if params else text


def _localised(params: dict[str, Any]) -> dict[str, Any]:
    """Decimal parameters and dates in the reader's locale (whole numbers stay as they are:
    they are as often a year or a reference as a quantity)."""
    if not any(isinstance(v, float | date) for v in params.values()):
        return params
    from babel.dates import format_date
    from babel.numbers import format_decimal

    locale = reader_locale.get()

    def shown(v: Any) -> Any:
        if isinstance(v, float):
            return format_decimal(v, format="#,##0.###", locale=locale) if locale else f"{v:g}"
        if isinstance(v, date) and not isinstance(v, datetime):
            return format_date(v, "medium", locale=locale) if locale else v.isoformat()
        return v

    return {k: shown(v) for k, v in params.items()}


def translate_plural(lang: str, singular: str, plural: str, count: int, /, **params: Any) -> str:
    """The form of a message the language uses for ``count`` (its real plural rules: one
    day, two days; ``{count}`` and the other parameters filled in)."""
    text = translations(lang).ngettext(singular, plural, count)
    return text.format(count=count, **_localised(params))


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (``de-AT`` -> ``de``)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(
    requested: str | None,
    accept_language: str | None,
    available: tuple[str, ...] | list[str],
    default: str,
) -> str:
    """Choose the language: an explicit request, then the browser's wishes, then the default."""
    if requested and requested in available:
        return requested
    for tag in parse_accept_language(accept_language):
        if tag in available:
            return tag
    return default


@functools.cache
def locale_for(lang: str, country: str | None) -> str:
    """The Babel locale for a language in a country (``es`` in Peru is ``es_PE``)."""
    if country:
        try:
            return str(Locale.parse(f"{lang}_{country}"))
        except (UnknownLocaleError, ValueError):
            pass
    return lang


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Minor units as money in a locale (1250 PEN in es_PE is «S/ 12.50»)."""
    from babel.numbers import format_currency, get_currency_precision

    digits = get_currency_precision(currency)
    return format_currency(amount_minor / 10**digits, currency, locale=locale)


def pick(texts: Mapping[Any, str] | None, lang: str, fallback: str = "en") -> str:
    """The text in ``lang``, else the fallback language, else any text there is."""
    if not texts:
        return ""
    for candidate in (lang, fallback, "en", "es", "de"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()))


def format_datetime_local(
    moment: datetime, city: Any, lang: str, *, time_only: bool = False
) -> str:
    """A moment in the city's time zone and the reader's locale (for notes and mail)."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime, format_time

    zone = ZoneInfo(city.timezone)
    locale = locale_for(lang, getattr(city, "country", None))
    if time_only:
        return format_time(moment, "short", tzinfo=zone, locale=locale)
    return format_datetime(moment, "short", tzinfo=zone, locale=locale)
