"""Languages: negotiation, and message catalogues that are complete and current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from civitas.core.i18n import (
    LOCALE_DIR,
    negotiate,
    parse_accept_language,
    pick,
    reader_locale,
    translate,
    translate_plural,
)

ROOT = Path(__file__).resolve().parents[1]


def test_accept_language_order_and_quality():
    assert parse_accept_language("de-AT;q=0.8, es;q=0.9, en;q=0") == ["es", "de"]
    assert negotiate(None, "fr, de;q=0.5", ["es", "de"], "es") == "de"
    assert negotiate("en", "de", ["es", "en"], "es") == "en"
    assert negotiate("xx", None, ["es", "en"], "es") == "es"


def test_pick_falls_back_sensibly():
    assert pick({"es": "Hola", "en": "Hello"}, "de", "es") == "Hola"
    assert pick({"en": "Hello"}, "es") == "Hello"
    assert pick({}, "es") == ""


def test_translation_with_parameters():
    assert translate("es", "Services of {city}", city="Trujillo") == "Servicios de Trujillo"
    assert translate("en", "Services of {city}", city="Trujillo") == "Services of Trujillo"


def test_a_messages_decimals_follow_the_readers_locale():
    msgid = "{kg} kg is more than your vehicle carries ({max} kg): check the weight."
    assert translate("de", msgid, kg=2.5, max=40).startswith("2.5 kg")  # no reader: plain
    for locale, written in (("de_DE", "1.234,5 kg"), ("es_PE", "1,234.5 kg")):
        token = reader_locale.set(locale)
        try:
            assert translate(locale[:2], msgid, kg=1234.5, max=40).startswith(written)
        finally:
            reader_locale.reset(token)
    from civitas.recycling.web.pages import kg_text

    assert kg_text(1_234_560, "de_DE") == "1.234,6"
    assert kg_text(2000, "es_PE") == "2"
    assert kg_text(0, "en") == "0"


def test_every_message_is_translated_into_spanish_and_german():
    for lang in ("es", "de"):
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        # a message with plural forms is translated only when every form is
        missing = [
            m.id
            for m in catalog
            if m.id and (not all(m.string) if isinstance(m.string, tuple | list) else not m.string)
        ]
        assert missing == [], f"untranslated in {lang}: {missing}"


def test_plurals_follow_each_languages_rules():
    """Real plural forms, never "día(s)": one and many, and zero as each language says it."""
    forms = ("{count} day", "{count} days")
    assert [translate_plural("de", *forms, n) for n in (0, 1, 2)] == ["0 Tage", "1 Tag", "2 Tage"]
    assert [translate_plural("es", *forms, n) for n in (0, 1, 5)] == [
        "0 días",
        "1 día",
        "5 días",
    ]
    assert translate_plural("en", *forms, 1) == "1 day"
    assert translate_plural("es", "{count} case", "{count} cases", 21) == "21 casos"


# the extraction keywords, from the one script that defines them
KEYWORDS = [
    arg
    for k in re.findall(r"-k (\S+)", (ROOT / "scripts" / "extract-messages.sh").read_text())
    for arg in ("-k", k)
]


def test_catalogue_template_is_current(tmp_path):
    out = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--sort-output",
            "--omit-header",
            *KEYWORDS,
            "-o",
            str(out),
            "src/civitas",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as fresh, (LOCALE_DIR / "messages.pot").open("rb") as kept:
        assert {m.id for m in read_po(fresh)} == {m.id for m in read_po(kept)}, (
            "run scripts/extract-messages.sh and translate the new messages"
        )


def test_an_error_with_plural_forms_reads_right_for_its_count():
    from civitas.core.errors import InvalidInput
    from civitas.core.i18n import NP_

    message = NP_("The rule has {count} problem.", "The rule has {count} problems.")
    one, three = InvalidInput(message, count=1), InvalidInput(message, count=3)
    assert (str(one), str(three)) == ("The rule has 1 problem.", "The rule has 3 problems.")
    assert one.text("es") == "La regla tiene 1 problema."
    assert three.text("de") == "Die Regel hat 3 Probleme."
    # a plain message is translated as before
    assert InvalidInput("Services of {city}", city="Lima").text("es") == "Servicios de Lima"


def test_no_message_counts_with_a_bracketed_plural():
    """'día(s)', 'Problem(e)': a counted message has plural forms instead (NP_, _n)."""
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        catalog = read_po(handle)
    pattern = re.compile(r"\w\((s|e|n|en|es|r)\)")  # day(s), Problem(e), Minute(n) …
    bracketed = [m.id for m in catalog if isinstance(m.id, str) and pattern.search(m.id)]
    assert bracketed == []


def test_no_translation_counts_with_a_bracketed_plural():
    pattern = re.compile(r"\w\((s|e|n|en|es|r|a|as)\)")  # día(s), Problem(e), Minute(n) …
    for lang in ("es", "de"):
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        bracketed = [
            text
            for m in catalog
            for text in (m.string if isinstance(m.string, tuple | list) else [m.string])
            if text and pattern.search(text)
        ]
        assert bracketed == [], lang


def test_the_walks_checks_catch_what_they_look_for():
    """The browser walk's checks (tests/browser/walk.py) find English on a Spanish page, a
    code where a word belongs and a German number written the English way."""
    from tests.browser.walk import codes, untranslated, wrong_numbers

    page = "Dónde es. Enter the address or choose the place on the map. Hecho por user:ana"
    assert "Enter the address or choose the place on the map" in untranslated(page, "es")
    assert untranslated(page, "en") == []
    assert untranslated("Ingrese la dirección o elija el lugar en el mapa.", "es") == []
    assert codes(page) == ["user:ana"]
    assert codes("Estado: in_progress") == ["in_progress"]
    assert wrong_numbers("Zufriedenheit 26.6 % und 26,6 %", "de") == ["26.6"]
    assert wrong_numbers("Satisfacción 26.6 %", "es") == []


def test_relative_dates_are_said_as_each_language_says_them():
    from datetime import UTC, datetime, timedelta

    from civitas.web.templating import ago

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert ago(now - timedelta(days=12), "de_DE", now) == "vor 12 Tagen"
    assert ago(now - timedelta(days=12), "es_PE", now) == "hace 12 días"
    assert ago(now - timedelta(hours=3), "en", now) == "3 hours ago"
    assert ago(now + timedelta(days=2), "de_DE", now) == "in 2 Tagen"
    assert ago(now - timedelta(days=40), "de_DE", now) == "vor 6 Wochen"
    assert ago(None, "de_DE", now) == ""
