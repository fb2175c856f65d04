"""Jinja2 templates with the reader's language, the city, and formatting helpers."""

from __future__ import annotations

import functools
import secrets
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from civitas.catalogue.schemas import label
from civitas.core.config import get_settings
from civitas.core.errors import PermissionDenied
from civitas.core.i18n import (
    LANGUAGE_NAMES,
    format_money,
    locale_for,
    pick,
    translate_plural,
    translations,
)
from civitas.core.security import sign, signature_ok
from civitas.web.middleware import page_policy

SESSION_COOKIE = "civitas_session"
VISITOR_COOKIE = "civitas_visitor"
LANG_COOKIE = "civitas_lang"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class DomainTemplates(BaseLoader):
    """The shared templates (base, errors, partials), then each installed domain's
    ``web/templates`` folder, looked up when the first page is rendered."""

    @functools.cached_property
    def _loader(self) -> ChoiceLoader:
        from civitas.web.plugins import template_folders

        return ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(template_folders())])

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        return self._loader.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self._loader.list_templates()


templates = Jinja2Templates(
    env=Environment(loader=DomainTemplates(), autoescape=select_autoescape())
)


money = format_money


def when(moment: datetime | date | None, kind: str, locale: str, city: Any) -> str:
    """A date or date and time in the reader's locale and the city's time zone (a plain
    date is already the city's: written as it is)."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return format_date(moment, "full" if kind == "day" else "medium", locale=locale)
    zone = ZoneInfo(city.timezone) if city else UTC
    if kind == "date":
        return format_date(moment.astimezone(zone).date(), "medium", locale=locale)
    if kind == "day":  # "Tuesday, 2 March 2027"
        return format_date(moment.astimezone(zone).date(), "full", locale=locale)
    if kind == "time":
        return format_time(moment, "short", tzinfo=zone, locale=locale)
    if kind == "seconds":
        return format_datetime(moment, "medium", tzinfo=zone, locale=locale)
    return format_datetime(moment, "short", tzinfo=zone, locale=locale)


def ago(moment: datetime | None, locale: str, now: datetime | None = None) -> str:
    """How long ago (or ahead) in the reader's words: "vor 12 Tagen", "hace 3 horas",
    "in 2 days" (days stay days up to two weeks)."""
    if moment is None:
        return ""
    delta = moment - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, threshold=2, locale=locale)


def duration_text(hours: int | None, lang: str) -> str:
    if not hours:
        return ""
    if hours % 24 == 0:
        return translate_plural(lang, "{count} day", "{count} days", hours // 24)
    return translate_plural(lang, "{count} hour", "{count} hours", hours)


def visitor(request: Request) -> str:
    """An anonymous visitor's random id (a cookie), made on first need; forms of residents
    without an account are bound to it against cross-site requests."""
    found = request.cookies.get(VISITOR_COOKIE) or getattr(request.state, "visitor", None)
    if not found:
        found = secrets.token_urlsafe(18)
        request.state.visitor = found
    return str(found)


def csrf_token(request: Request) -> str:
    """The form token: bound to the staff session if there is one, else to the visitor."""
    secret = get_settings().secret_key
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return sign(secret, "csrf:" + session)
    return sign(secret, "csrf-visitor:" + visitor(request))


def csrf_ok(request: Request, token: str) -> bool:
    secret = get_settings().secret_key
    session = request.cookies.get(SESSION_COOKIE)
    if session and signature_ok(secret, "csrf:" + session, token):
        return True
    known = request.cookies.get(VISITOR_COOKIE)
    return bool(known) and signature_ok(secret, "csrf-visitor:" + str(known), token)


def same_origin(request: Request) -> bool:
    """A browser names the page a form was sent from (Origin); another site's is refused.
    Without the header (older browsers, non-browser clients) the token decides alone."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin != "null"
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")


def require_csrf(request: Request, token: str) -> None:
    """Refuse a form whose token does not belong to whoever sends it, or that another
    site sent."""
    if not csrf_ok(request, token) or not same_origin(request):
        raise PermissionDenied("The form has expired; reload the page and try again.")


class _LazyCsrf:
    """Computed when a template prints it, so pages without forms set no cookie."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)


def remember_visitor(request: Request, response: Response) -> None:
    made = getattr(request.state, "visitor", None)
    if made and request.cookies.get(VISITOR_COOKIE) != made:
        response.set_cookie(
            VISITOR_COOKIE,
            made,
            max_age=7 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            path="/",
        )


def _base(request: Request) -> dict[str, Any]:
    """What every template may use: the language, the city, translation and formatting."""
    lang = getattr(request.state, "lang", "en")
    city = getattr(request.state, "city", None)
    gettext = translations(lang).gettext

    def t(msgid: str, **params: Any) -> str:
        text = gettext(msgid)
        return text.format(**params) if params else text

    locale = locale_for(lang, city.country if city else None)

    def tn(singular: str, plural: str, count: int, **params: Any) -> str:
        # the form the count needs, with the count written as the locale writes numbers
        text = translations(lang).ngettext(singular, plural, count)
        return text.format(count=format_decimal(count, locale=locale), **params)

    return {
        "lang": lang,
        "city": city,
        "_": t,
        "_n": tn,  # a message with plural forms: _n("{count} day", "{count} days", n)
        # the form for n, unfilled (for a script that fills in {count} itself)
        "_nf": translations(lang).ngettext,
        "pick": lambda texts: pick(texts, lang, city.default_language if city else "en"),
        "money": lambda amount, currency: money(amount, currency, locale),
        "number": lambda value: format_decimal(value, locale=locale),
        # how the locale writes numbers, for the charts drawn in the browser (d3-format)
        "number_locale": number_symbols(locale),
        "duration": lambda hours: duration_text(hours, lang),
        "when": lambda moment, kind="datetime": when(moment, kind, locale, city),
        "ago": lambda moment: ago(moment, locale),
        "language_names": LANGUAGE_NAMES,
        "label": label,
        "principal": getattr(request.state, "principal", None),
        # the signed-in member of staff's places to go (the domains' navigation entries)
        "staff_nav": _LazyNav(request, city),
        # what the domains offer residents of this city (buses and trams, …)
        "resident_nav": _resident_nav(city),
        # the pages of a resident's account (my requests, my applications, …)
        "account_nav": _account_nav(city),
        "csrf": _LazyCsrf(request),
        # a create form's own key: a second press of it replays the first answer
        "form_key": lambda: secrets.token_urlsafe(16),
    }


def _resident_nav(city: Any) -> list[Any]:
    if city is None:
        return []
    from civitas.web.plugins import navigation

    return [e for e in navigation(city, None, [], audience="resident") if not e.permission]


def _account_nav(city: Any) -> list[Any]:
    if city is None:
        return []
    from civitas.web.plugins import navigation

    found = [e for e in navigation(city, None, [], audience="account") if not e.permission]
    return sorted(found, key=lambda e: e.order)


def fragment(request: Request, name: str, context: dict[str, Any]) -> Markup:
    """A piece of page (a panel one domain adds to another's page), with the same
    helpers as a whole page."""
    return Markup(  # noqa: S704 - rendered by the autoescaping environment
        templates.env.get_template(name).render(request=request, **(_base(request) | context))
    )


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = getattr(request.state, "lang", "en")
    base = _base(request)
    response = templates.TemplateResponse(request, name, base | context, status_code=status)
    # a map whose tiles come from a server the city set (a page's map config names it)
    hosts = context.get("image_hosts") or getattr(context.get("basemap"), "image_hosts", ())
    if hosts:
        response.headers["content-security-policy"] = page_policy(tuple(hosts))
    remember_visitor(request, response)
    remember_language(request, response, lang)
    return response


def remember_language(request: Request, response: Response, lang: str) -> None:
    """A language chosen with ``?lang=`` is kept for the reader's next visits."""
    if request.query_params.get("lang") == lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            path="/",
        )


def render_error_page(
    request: Request, status: int, message: str, problems: list[dict[str, str]]
) -> HTMLResponse:
    return page(
        request, "error.html", {"status": status, "message": message, "problems": problems}, status
    )


@functools.cache
def number_symbols(locale: str) -> dict[str, Any]:
    """A d3-format locale definition from Babel's data for ``locale``."""
    return {
        "decimal": get_decimal_symbol(locale),
        "thousands": get_group_symbol(locale),
        "grouping": [3],
        "currency": ["", ""],
        "percent": format_percent(0, locale=locale).lstrip("0"),
    }


class _LazyNav:
    """The navigation bar's entries, worked out only by a page that shows the bar."""

    def __init__(self, request: Request, city: Any) -> None:
        self.request, self.city = request, city

    @functools.cached_property
    def entries(self) -> list[Any]:
        principal = getattr(self.request.state, "principal", None)
        if principal is None or self.city is None or principal.user_id is None:
            return []
        from civitas.web.plugins import navigation

        found = navigation(self.city, principal, list(principal.roles))
        return [e for e in found if not e.admin] + [e for e in found if e.admin]

    @functools.cached_property
    def current(self) -> str | None:
        """The entry this page belongs to: the longest path the page's address starts with."""
        here = self.request.url.path
        paths = [e.path for e in self.entries if here.startswith(f"/{self.city.slug}/{e.path}")]
        return max(paths, key=len) if paths else None

    def __iter__(self) -> Any:
        return iter(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)
