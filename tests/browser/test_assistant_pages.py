"""The resident assistant in Chromium: the web chat on a phone, used with the keyboard
only, files a pothole in Spanish and in German and asks its status (each step axe-clean,
the answers in a live region, nothing wider than the phone); a resident asks for a
person and an agent at a desk takes the conversation over on the hotline screen and
replies, and the reply appears in the resident's chat; the staff's pages in every
language."""

from __future__ import annotations

import re

from tests.assistant.helpers import with_catalogue

PHONE = {"width": 390, "height": 844}


def _send(page, text: str, added: int = 2) -> None:
    """Type a message and press Enter; wait until it and the answer are in the log."""
    box = page.get_by_label(re.compile("Su mensaje|Ihre Nachricht|Your message"))
    box.focus()
    page.keyboard.type(text)
    count = page.locator("[data-log] .msg").count()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([n, k]) => document.querySelectorAll('[data-log] .msg').length >= n + k",
        arg=[count, added],
    )


def _last(page) -> str:
    return str(page.locator("[data-log] .msg").last.inner_text())


def test_a_pothole_through_the_web_chat_in_spanish_with_the_keyboard(pages, engine, two_cities):
    with_catalogue(engine, "trujillo")
    page = pages.new()
    page.goto("/trujillo/assistant?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    pages.check(page, "chat-es-empty")
    _send(page, "hay un hueco enorme en la pista")
    assert "¿dónde está?" in _last(page)
    _send(page, "Av. España 3")
    # the service's required question, its answers as buttons reached by the keyboard
    buttons = page.locator("[data-options] button")
    assert buttons.all_inner_texts() == ["Sí", "No"]
    pages.check(page, "chat-es-question")
    buttons.first.focus()
    count = page.locator("[data-log] .msg").count()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-log] .msg').length > n + 1", arg=count
    )
    assert "¿Lo envío?" in _last(page)
    page.locator("[data-options] button").first.focus()
    count = page.locator("[data-log] .msg").count()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-log] .msg').length > n + 1", arg=count
    )
    filed = _last(page)
    number = re.search(r"número (\d+)", filed).group(1)
    assert page.locator(f"[data-log] a[href='/trujillo/requests/{number}?lang=es']").count() == 1
    _send(page, f"estado de mi solicitud {number}")
    assert "Recibida" in page.locator("[data-log]").inner_text()
    assert page.locator("[role=log]").count() == 1
    pages.check(page, "chat-es-filed")
    # the page without the script: the same conversation, and a form that works
    assert pages.errors == []


def test_a_pothole_through_the_web_chat_in_german(pages, engine, two_cities):
    with_catalogue(engine, "musterstadt")
    page = pages.new_context(viewport=PHONE, is_mobile=True, locale="de-DE").new_page()
    page.goto("/musterstadt/assistant?lang=de")
    _send(page, "Schlagloch melden")
    assert "Wo ist es?" in _last(page)
    _send(page, "Hauptstraße 4")
    assert page.locator("[data-options] button").all_inner_texts() == ["Ja", "Nein"]
    # Enter in the field sends what was typed, not the first choice
    _send(page, "nein")
    assert "Beschreiben Sie das Problem" in _last(page)
    _send(page, "Tiefes Loch vor der Bäckerei")
    assert "Soll ich es senden?" in _last(page)
    assert "Besteht unmittelbare Gefahr? Nein" in _last(page)
    _send(page, "ja")
    assert "Ihr Anliegen hat die Nummer" in _last(page)
    pages.check(page, "chat-de-filed")


def test_without_the_script_the_chat_still_works(pages, engine, two_cities):
    with_catalogue(engine, "trujillo")
    context = pages.new_context(viewport=PHONE, java_script_enabled=False, locale="es-PE")
    page = context.new_page()
    page.goto("/trujillo/assistant?lang=es")
    page.get_by_label("Su mensaje").fill("cuánto cuesta la partida de nacimiento")
    page.get_by_role("button", name="Enviar").click()
    page.wait_for_url("**/trujillo/assistant?lang=es*")
    assert "S/" in page.locator("[data-log]").inner_text()


def test_a_person_takes_over_from_the_hotline_screen(pages, engine, two_cities):
    with_catalogue(engine, "trujillo")
    resident = pages.new()
    resident.goto("/trujillo/assistant?lang=es")
    _send(resident, "quiero hablar con una persona")
    assert resident.locator("[data-waiting]").is_visible()
    agent = pages.staff(two_cities.a.users["agent"])
    agent.goto("/trujillo/staff/assistant?lang=es")
    pages.check(agent, "hotline-es")
    agent.locator("a[href*='/staff/assistant/conversations/']").first.click()
    agent.get_by_role("button", name="Tomar la conversación").click()
    agent.get_by_label("Su respuesta (el vecino la ve de inmediato)").fill(
        "Buenas tardes, le atiende Ana."
    )
    agent.get_by_role("button", name="Enviar").click()
    assert "Buenas tardes, le atiende Ana." in agent.locator("[data-log]").inner_text()
    pages.check(agent, "conversation-es")
    # the resident's chat polls: the reply arrives without reloading
    resident.wait_for_function(
        "() => document.querySelector('[data-log]').innerText.includes('le atiende Ana')",
        timeout=15000,
    )
    _send(resident, "gracias, tengo una consulta", added=1)  # a person answers, not the bot
    agent.wait_for_function(
        "() => document.querySelector('[data-log]').innerText.includes('tengo una consulta')",
        timeout=15000,
    )
    agent.get_by_role("button", name="Devolver al asistente").click()
    assert "con el asistente" in agent.locator("main").inner_text()
    assert pages.errors == []


def test_the_staff_pages_in_every_language(pages, engine, two_cities):
    with_catalogue(engine, "trujillo")
    manager = pages.staff(two_cities.a.users["manager"])
    for lang in ("es", "en", "de"):
        for path in ("/trujillo/staff/assistant", "/trujillo/staff/assistant/teach"):
            manager.goto(f"{path}?lang={lang}")
            pages.check(manager, f"{lang}-{path.strip('/').replace('/', '-')}")
    manager.goto("/trujillo/staff/assistant/teach?lang=es")
    manager.get_by_role("button", name="Reentrenar y probar").click()
    assert "macro-F1" in manager.locator("main").inner_text()
    pages.check(manager, "teach-checked-es")
    phone = pages.new()
    for lang in ("es", "en"):
        phone.goto(f"/trujillo/assistant?lang={lang}")
        pages.check(phone, f"chat-{lang}")
