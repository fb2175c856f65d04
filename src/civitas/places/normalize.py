"""Address text folded for matching: accent-blind, case-blind, abbreviations written out.

"Jr. Pizarro 512", "JIRON PIZARRO 512" and "jirón pizarro 512" fold to the same key, as
do "Hauptstr. 5" and "Hauptstraße 5". The register's names and what a person types go
through the same folding, so a match compares like with like."""

from __future__ import annotations

import re
import unicodedata

# token -> the word it abbreviates (Spanish, German, English street words)
ABBREVIATIONS: dict[str, str] = {
    "av": "avenida",
    "avda": "avenida",
    "avd": "avenida",
    "jr": "jiron",
    "jir": "jiron",
    "ca": "calle",
    "cl": "calle",
    "cll": "calle",
    "psje": "pasaje",
    "pje": "pasaje",
    "pj": "pasaje",
    "prol": "prolongacion",
    "urb": "urbanizacion",
    "carr": "carretera",
    "ctra": "carretera",
    "pza": "plaza",
    "plz": "plaza",
    "mz": "manzana",
    "str": "strasse",
    "pl": "platz",
    "st": "street",
    "ave": "avenue",
    "rd": "road",
    "dr": "drive",
}
_FOLD = str.maketrans({"ß": "ss", "ẞ": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d"})
_WORDS = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"^\d+[a-z]?$|^\d+[a-z]?-\d+[a-z]?$")


def fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text with abbreviations written out ("Hauptstr." -> hauptstrasse)."""
    out = []
    for word in _WORDS.findall(fold(text)):
        word = ABBREVIATIONS.get(word, word)
        if word.endswith("str") and len(word) > 5:  # Hauptstr, Lindenstr
            word = word[:-3] + "strasse"
        out.append(word)
    return out


# words that say what kind of street it is, not which: matched apart from the name
KINDS = frozenset(
    {
        "jiron",
        "avenida",
        "calle",
        "pasaje",
        "prolongacion",
        "urbanizacion",
        "carretera",
        "plaza",
        "ovalo",
        "malecon",
        "alameda",
        "strasse",
        "weg",
        "platz",
        "gasse",
        "allee",
        "ring",
        "am",
        "an",
        "der",
        "de",
        "del",
        "la",
        "los",
        "las",
        "street",
        "avenue",
        "road",
    }
)


def street_key(street: str) -> str:
    return " ".join(words(street))


def core(key: str) -> tuple[str, frozenset[str]]:
    """A folded street key split into its name and its kind words ("jiron francisco
    pizarro" -> ("francisco pizarro", {"jiron"})); a name of kind words only stays whole."""
    tokens = key.split()
    name = [t for t in tokens if t not in KINDS]
    return (" ".join(name) if name else key), frozenset(t for t in tokens if t in KINDS)


def number_key(number: str) -> str:
    """A house number folded: "12 A" and "12a" are the same number."""
    return "".join(_WORDS.findall(fold(number)))


def split_query(text: str) -> tuple[str, str | None]:
    """The street part and the house number of what someone typed ("Av. España 1234,
    Trujillo" -> ("avenida espana trujillo", "1234")). The first word that looks like a
    house number and is not the first word is the number; a postcode-like number after it
    stays in the text."""
    folded = fold(text)
    tokens = _WORDS.findall(folded)
    # "12 a" typed apart: join a lone letter to the number before it
    joined: list[str] = []
    for token in tokens:
        if joined and len(token) == 1 and token.isalpha() and joined[-1].isdigit():
            joined[-1] += token
        else:
            joined.append(token)
    number = None
    rest = []
    for i, token in enumerate(joined):
        if number is None and i > 0 and _NUMBER.match(token) and len(token) <= 6:
            number = token
            continue
        rest.append(token)
    street = " ".join(words(" ".join(rest)))
    return street, number


def number_value(number: str) -> tuple[int, str]:
    """A house number for sorting and for finding the nearest: 12a -> (12, "a")."""
    match = re.match(r"(\d+)(.*)", number_key(number))
    return (int(match.group(1)), match.group(2)) if match else (0, number_key(number))
