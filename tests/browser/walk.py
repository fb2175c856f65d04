"""What a walk through the pages checks on each page, beside axe-core: no message left in
English on a page in another language, no code where a word belongs, and numbers written
the way the page's locale writes them. Used by tests/browser/test_walk_*.py, and usable on
the demo (``python -m tests.browser.walk URL``)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from tests.factories import PASSWORD

LOCALE = Path(__file__).resolve().parents[2] / "src" / "civitas" / "locale"
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
# codes that stand where a reader expects a word: an actor id, a status or channel key
CODES = re.compile(r"\b(?:user|system|resident|picker|apikey):[a-z0-9_-]+\b|\b[a-z]+_[a-z_]+\b")


@functools.cache
def english_fragments(lang: str) -> tuple[str, ...]:
    """Pieces of the English messages that the language translates differently, long
    enough (three words and more) to be no accident when found on a page."""
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f)
    found: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = [
            i
            for i in (message.id if isinstance(message.id, tuple) else (message.id,))
            if isinstance(i, str)
        ]
        raw = message.string if isinstance(message.string, tuple) else (message.string,)
        texts = tuple(t for t in raw if isinstance(t, str))
        for msgid in ids:
            if any(msgid == t for t in texts):
                continue  # the same in both languages ("OK", a name)
            for piece in _PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 3 and len(piece) >= 16 and piece not in " ".join(texts):
                    found.add(piece)
    return tuple(sorted(found, key=len, reverse=True))


@functools.cache
def _by_inner_word(lang: str) -> dict[str, tuple[str, ...]]:
    """The fragments by their second word: a word with white space on both sides, so a
    fragment can be on a page only if that word is one of the page's words."""
    found: dict[str, list[str]] = {}
    for piece in english_fragments(lang):
        found.setdefault(piece.split()[1], []).append(piece)
    return {word: tuple(pieces) for word, pieces in found.items()}


def untranslated(text: str, lang: str) -> list[str]:
    """English messages on a page in ``lang`` (nothing to find on an English page)."""
    if lang == "en":
        return []
    index = _by_inner_word(lang)
    candidates = {p for word in set(text.split()) & index.keys() for p in index[word]}
    return [piece for piece in english_fragments(lang) if piece in candidates and piece in text]


def codes(text: str) -> list[str]:
    """Identifiers shown as if they were words (``user:caseworker``, ``in_progress``)."""
    return sorted({m.group(0) for m in CODES.finditer(text)})


_GERMAN_WRONG = re.compile(r"(?<![\d.,])\d{1,3}\.\d{1,2}(?=\s?(?:%|€|kg|t\b|Tage|h\b))")


def wrong_numbers(text: str, lang: str) -> list[str]:
    """Numbers written in another locale's way: in German a decimal point ("26.6 %")
    where a comma belongs."""
    if lang != "de":
        return []
    return sorted({m.group(0) for m in _GERMAN_WRONG.finditer(text)})


CITIES = {"trujillo": ("es", "en"), "musterstadt": ("de", "en")}
ROLES = ("", "administrator", "manager", "case_worker", "agent", "field_worker")
SKIP = (".csv", ".pdf", ".json", ".geojson", ".ics", ".xml", ".jsonld", ".ttl", "/logout")


def _links(page: Any, city: str) -> list[str]:
    found = page.eval_on_selector_all(
        "main a[href^='/'], nav a[href^='/']",
        "els => [...new Set(els.map(e => e.getAttribute('href')))]",
    )
    return [
        h.split("#")[0]
        for h in found
        if h.startswith(f"/{city}/") and not h.split("?")[0].endswith(SKIP)
    ]


_AXED: set[tuple[str, str]] = set()  # pages axe-core checked in this process


def walk_role(pages: Any, two_cities: Any, live_server: str, city: str, role: str) -> None:
    """A role's walk (see tests/browser/test_walk_*.py): every check of every page."""
    world = two_cities.a if city == "trujillo" else two_cities.b
    context = pages.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((live_server, "data:")) else None,
    )
    home = f"/{city}/"
    if role:
        page.goto(f"/{city}/login?lang=en")
        page.get_by_label("User name").fill(world.users[role])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/{city}/staff**")
        home = f"/{city}/staff"
    found: list[str] = []
    for lang in CITIES[city]:
        page.goto(f"{home}?lang={lang}")
        walk = [home, *(h for h in _links(page, city) if h.split("?")[0] != home)][:20]
        for n, href in enumerate(dict.fromkeys(walk)):
            url = href if "lang=" in href else href + ("&" if "?" in href else "?") + f"lang={lang}"
            answer = page.goto(url)
            assert answer is not None, url
            assert answer.status < 500, url
            # a <code> shows a code on purpose (a file's column names): not a word left as code
            text = page.evaluate(
                "() => { const b = document.body.cloneNode(true);"
                " b.querySelectorAll('code, pre').forEach(e => e.remove()); return b.innerText; }"
            )
            for kind, bad in (
                ("untranslated", untranslated(text, lang)),
                ("code", codes(text)),
                ("number", wrong_numbers(text, lang)),
            ):
                found += [f"{url}: {kind} {b!r}" for b in bad]
            pages.shot(page, f"{city}_{role or 'resident'}_{lang}_{n:02d}")
            # axe-core and the phone's width once per page of a city (in its own language):
            # the roles share pages
            seen = (city, href.split("?")[0])
            if lang == CITIES[city][0] and seen not in _AXED:
                _AXED.add(seen)
                bad_axe = pages.axe(page)
                found += [f"{url}: axe {v['id']} {v['nodes'][:2]}" for v in bad_axe]
                # on a phone the page never scrolls sideways: wide tables scroll in a box
                page.set_viewport_size({"width": 390, "height": 844})
                wide = page.evaluate(
                    "() => document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth"
                )
                if wide > 1:
                    found.append(f"{url}: {wide} px wider than a phone")
                page.set_viewport_size({"width": 1280, "height": 900})
    assert outside == [], outside
    assert found == [], "\n".join(found)


if __name__ == "__main__":  # a quick look at a running server: python -m tests.browser.walk URL
    import sys
    import urllib.request

    for url in sys.argv[1:]:
        lang = re.search(r"lang=(\w+)", url)
        body = urllib.request.urlopen(url).read().decode()  # noqa: S310 - a URL given by hand
        words = re.sub(r"<[^>]+>", " ", body)
        print(url, untranslated(words, lang.group(1) if lang else "en"), codes(words))
