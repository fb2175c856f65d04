"""What a message names: a request number, a date and time, an amount of money, a service
of the catalogue, a stop, a place (from "from … to …"), a shared point. Plain functions
on the text; the catalogue, the stops and the address register are matched fuzzily
(rapidfuzz), on folded text, so typos and missing accents are forgiven."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

from rapidfuzz import fuzz, utils
from rapidfuzz.distance import DamerauLevenshtein


def plain(text: str) -> str:
    """Lower case without accents, punctuation kept (for patterns)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- request numbers ------------------------------------------------------------------

_NUMBER_AFTER = re.compile(
    r"(?:#|n[ro]?[º°.]?|num(?:ero)?\.?|number|nummer|nr\.?|request|solicitud|reporte|"
    r"reclamo|denuncia|anliegen|meldung|vorgang|vorgangsnummer|case|caso|fall)\s*:?\s*#?\s*"
    r"(\d{1,9})\b"
)
_ANY_NUMBER = re.compile(r"(?<![\d.,:/])(\d{1,9})(?![\d.,:/]|\s*(?:%|€|eur|soles|sol|h\b|uhr))")


def request_number(text: str) -> int | None:
    """The request number the text gives: after a word like "request", "#", "Nr.", or
    else the only plain number in it (not a time, a date, an amount or a line)."""
    folded = plain(text)
    found = _NUMBER_AFTER.search(folded)
    if found:
        return int(found.group(1))
    if re.search(r"\b(?:line|linea|linie|bus|micro|combi)\s*\d", folded):
        return None
    numbers = _ANY_NUMBER.findall(folded)
    return int(numbers[0]) if len(numbers) == 1 else None


# --- dates and times ------------------------------------------------------------------

_WEEKDAYS = {
    **dict.fromkeys(("monday", "lunes", "montag"), 0),
    **dict.fromkeys(("tuesday", "martes", "dienstag"), 1),
    **dict.fromkeys(("wednesday", "miercoles", "mittwoch"), 2),
    **dict.fromkeys(("thursday", "jueves", "donnerstag"), 3),
    **dict.fromkeys(("friday", "viernes", "freitag"), 4),
    **dict.fromkeys(("saturday", "sabado", "samstag"), 5),
    **dict.fromkeys(("sunday", "domingo", "sonntag"), 6),
}
_RELATIVE = {
    **dict.fromkeys(("today", "hoy", "heute"), 0),
    **dict.fromkeys(("tomorrow", "manana", "morgen"), 1),
    **dict.fromkeys(("day after tomorrow", "pasado manana", "ubermorgen"), 2),
}
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")
_TIME = re.compile(
    r"\b(?:at|a las|a la|um|las)?\s*(\d{1,2})(?::|h|\.)(\d{2})\b"
    r"|\b(?:at|a las|a la|um)\s+(\d{1,2})\b(?:\s*(am|pm|uhr))?"
    r"|\b(\d{1,2})\s*(am|pm|uhr)\b"
)


@dataclass(frozen=True)
class When:
    day: date | None
    at: time | None


def when(text: str, today: date) -> When:
    """A day ("tomorrow", "el viernes", "24.12.", "2026-12-24") and a time ("a las 8",
    "8:30", "um 9 Uhr", "3 pm") the text names, each None when it names none."""
    folded = plain(text)
    day: date | None = None
    for words in sorted(_RELATIVE, key=len, reverse=True):
        if re.search(rf"\b{words}\b", folded):
            # "mañana" and "morgen" are also "morning": only alone or before a time
            if words in ("manana", "morgen") and re.search(
                rf"\b(?:por la|de la|guten|am|heute)\s+{words}\b", folded
            ):
                continue
            day = today + timedelta(days=_RELATIVE[words])
            break
    if day is None:
        for name, weekday in _WEEKDAYS.items():
            if re.search(rf"\b{name}\b", folded):
                day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
                break
    if day is None:
        found = _DATE.search(folded)
        if found:
            try:
                if found.group(1):
                    day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
                else:
                    year = found.group(6)
                    year_n = int(year) + (2000 if year and len(year) == 2 else 0) if year else 0
                    day = date(year_n or today.year, int(found.group(5)), int(found.group(4)))
                    if not year and day < today:
                        day = day.replace(year=today.year + 1)
            except ValueError:
                day = None
    at: time | None = None
    dated = _DATE.search(folded)
    if dated:  # "24.12." is a day, not 24:12
        folded = folded[: dated.start()] + " " + folded[dated.end() :]
    moment = _TIME.search(folded)
    if moment:
        hour_s = moment.group(1) or moment.group(3) or moment.group(5)
        minute_s = moment.group(2) or "0"
        suffix = moment.group(4) or moment.group(6)
        hour, minute = int(hour_s), int(minute_s)
        if suffix == "pm" and hour < 12:
            hour += 12
        if suffix == "am" and hour == 12:
            hour = 0
        if 0 <= hour < 24 and 0 <= minute < 60:
            at = time(hour, minute)
    return When(day, at)


# --- amounts --------------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?:(s/\.?|€|eur|usd|\$)\s*(\d+(?:[.,]\d{1,2})?))"
    r"|(?:(\d+(?:[.,]\d{1,2})?)\s*(soles|sol|€|eur|euros?|usd|dolares|dollars?))"
)
_CURRENCIES = {
    "s/": "PEN",
    "s/.": "PEN",
    "soles": "PEN",
    "sol": "PEN",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "usd": "USD",
    "$": "USD",
    "dolares": "USD",
    "dollar": "USD",
    "dollars": "USD",
}


@dataclass(frozen=True)
class Amount:
    minor: int  # in the currency's minor units (céntimos, cents)
    currency: str


def amounts(text: str) -> list[Amount]:
    """Sums of money the text names: "S/ 15.50", "20 soles", "46,50 €"."""
    found = []
    for m in _AMOUNT.finditer(plain(text)):
        sign, value = (m.group(1), m.group(2)) if m.group(2) else (m.group(4), m.group(3))
        number = float(value.replace(",", "."))
        found.append(Amount(round(number * 100), _CURRENCIES.get(sign, sign.upper())))
    return found


# --- a shared point -------------------------------------------------------------------

_POINT = re.compile(r"(-?\d{1,2}\.\d{3,})\s*[,; ]\s*(-?\d{1,3}\.\d{3,})")


def point(text: str) -> tuple[float, float] | None:
    """A point shared as "lat, lon" (the web chat's "share my location", a map link)."""
    found = _POINT.search(text)
    if not found:
        return None
    lat, lon = float(found.group(1)), float(found.group(2))
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


# --- services ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A name a service is known by: its names, keywords, a city's synonyms."""

    text: str
    code: str


def service(text: str, terms: list[Term], *, cutoff: float = 82.0) -> tuple[str, float] | None:
    """The service the text names best, with the score (0–100), or None. A term must
    stand in the text nearly whole (typos forgiven): "hueco en la pista" finds a
    synonym "hueco", "Schlagloch" finds "Schlagloch"."""
    folded = utils.default_process(plain(text))
    if not folded or not terms:
        return None
    words = folded.split()
    best: tuple[str, float] | None = None
    for term in terms:
        name = utils.default_process(plain(term.text))
        if not name:
            continue
        size = len(name.split())
        if size > len(words) + 1:
            continue
        if len(name) <= 4:  # short words only whole: "bus" is not in "busco"
            score = 100.0 if name in words else 0.0
        elif size == 1:  # one word: one typo in a short one, two in a long one
            score = 100.0 if _word_in(name, words) else 0.0
        else:  # every word that carries meaning there (in any order), or the name whole
            content = [w for w in name.split() if len(w) >= 4]
            # two such words at least: "luz malograda" is not every sentence with "malograda"
            whole = len(content) >= 2 and all(_word_in(w, words) for w in content)
            score = 100.0 if whole else fuzz.partial_ratio(name, folded)
        # a longer name matched is the more specific one
        score += min(len(name), 30) / 100
        if score >= cutoff and (best is None or score > best[1]):
            best = (term.code, score)
    return best


def _word_in(word: str, words: list[str]) -> bool:
    """Whether the word is among the words, one typo forgiven (two in a long word)."""
    allowed = 1 if len(word) < 8 else 2
    return any(w[0] == word[0] and DamerauLevenshtein.distance(w, word) <= allowed for w in words)


# --- from … to … ---------------------------------------------------------------------

_FROM_TO = (
    re.compile(r"\bfrom\s+(?:the\s+)?(.+?)\s+to\s+(?:the\s+)?(.+)$"),
    re.compile(
        r"\b(?:desde|de)\s+(?:la\s+|el\s+)?(.+?)\s+(?:a|al|hasta|hacia)\s+(?:la\s+|el\s+)?(.+)$"
    ),
    re.compile(
        r"\b(?:von|vom|ab)\s+(?:der\s+|dem\s+)?(.+?)\s+(?:nach|zum|zur|zu|bis)\s+(?:der\s+|dem\s+)?(.+)$"
    ),
)
_TO_ONLY = (
    re.compile(r"\b(?:to|towards)\s+(?:the\s+)?(.+)$"),
    re.compile(r"\b(?:a|al|hasta|hacia|para)\s+(?:la\s+|el\s+)?(.+)$"),
    re.compile(r"\b(?:nach|zum|zur|zu)\s+(?:der\s+|dem\s+)?(.+)$"),
)
_TRAILING = re.compile(r"[?!.,;]+$|\s+(?:please|por favor|bitte)$")


def from_to(text: str) -> tuple[str | None, str | None]:
    """The two ends of a journey as typed ("from X to Y", "de X a Y", "von X nach Y");
    either may be None."""
    folded = plain(text).strip()
    for pattern in _FROM_TO:
        found = pattern.search(folded)
        if found:
            return _clean(found.group(1)), _clean(found.group(2))
    for pattern in _TO_ONLY:
        found = pattern.search(folded)
        if found:
            return None, _clean(found.group(1))
    return None, None


def _clean(part: str) -> str:
    return _TRAILING.sub("", part.strip()).strip()


def stop_in(text: str, names: list[str], *, cutoff: float = 85.0) -> str | None:
    """The stop name that stands in the text (typos forgiven), the longest first."""
    folded = utils.default_process(plain(text))
    best: tuple[str, float] | None = None
    for name in names:
        key = utils.default_process(plain(name))
        # the name must fit in the text: "La Esperanza, Plaza de Armas" is not named by
        # "plaza de armas"
        if len(key) < 4 or len(key) > len(folded) + 2:
            continue
        score = fuzz.partial_ratio(key, folded) + min(len(key), 30) / 100
        if score >= cutoff and (best is None or score > best[1]):
            best = (name, score)
    return best[0] if best else None


# --- services by what they are about -------------------------------------------------


_WORD = re.compile(r"[^\W\d_]+")


def stems(text: str) -> list[str]:
    """The words that carry meaning, cut to their first five letters (a light stemmer
    that works alike in Spanish, German and English: colchón, colchones → colch)."""
    return [w[:5] for w in _WORD.findall(plain(text)) if len(w) >= 4]


class Descriptions:
    """Each service's names, description, keywords and synonyms, in every language, as
    letter groups weighted by how rare they are among the city's services. A sentence
    that names no service outright ("an old mattress and a fridge") is compared with
    them, and a service is taken only when it is close enough and stands out from the
    next one; otherwise the assistant asks."""

    def __init__(self, documents: dict[str, str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.codes = list(documents)
        self.vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([documents[c] for c in self.codes])

    def best(
        self,
        text: str,
        allowed: set[str] | None = None,
        *,
        floor: float = 0.25,
        margin: float = 0.05,
    ) -> tuple[str, float] | None:
        if not self.codes:
            return None
        scores = (self.matrix @ self.vectorizer.transform([text]).T).toarray().ravel()
        ranked = sorted(
            (
                (float(s), c)
                for s, c in zip(scores, self.codes, strict=True)
                if allowed is None or c in allowed
            ),
            reverse=True,
        )
        if not ranked or ranked[0][0] < floor:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < margin:
            return None
        return ranked[0][1], ranked[0][0]
