"""Jinja2 templates with the reader's language, the city, and formatting helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_currency, get_currency_precision
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from civitas.catalogue.schemas import label
from civitas.core.config import get_settings
from civitas.core.i18n import LANGUAGE_NAMES, locale_for, pick, translate, translations
from civitas.core.security import sign

SESSION_COOKIE = "civitas_session"
TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))


def money(amount_minor: int, currency: str, locale: str) -> str:
    digits = get_currency_precision(currency)
    return format_currency(amount_minor / 10**digits, currency, locale=locale)


def duration_text(hours: int | None, lang: str) -> str:
    if not hours:
        return ""
    if hours % 24 == 0:
        return translate(lang, "{n} day(s)", n=hours // 24)
    return translate(lang, "{n} hour(s)", n=hours)


def _csrf(request: Request) -> str:
    session = request.cookies.get(SESSION_COOKIE)
    return sign(get_settings().secret_key, "csrf:" + session) if session else ""


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = getattr(request.state, "lang", "en")
    city = getattr(request.state, "city", None)
    gettext = translations(lang).gettext

    def t(msgid: str, **params: Any) -> str:
        text = gettext(msgid)
        return text.format(**params) if params else text

    base = {
        "lang": lang,
        "city": city,
        "_": t,
        "pick": lambda texts: pick(texts, lang, city.default_language if city else "en"),
        "money": lambda amount, currency: money(
            amount, currency, locale_for(lang, city.country if city else None)
        ),
        "duration": lambda hours: duration_text(hours, lang),
        "language_names": LANGUAGE_NAMES,
        "label": label,
        "principal": getattr(request.state, "principal", None),
        "csrf": _csrf(request),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status)


def render_error_page(
    request: Request, status: int, message: str, problems: list[dict[str, str]]
) -> HTMLResponse:
    return page(
        request, "error.html", {"status": status, "message": message, "problems": problems}, status
    )
