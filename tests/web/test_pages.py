"""The plain catalogue pages per city (the full portal is issue 4)."""

from __future__ import annotations


def test_start_page_lists_the_cities(client, two_cities):
    r = client.get("/")
    assert "Trujillo" in r.text
    assert "Musterstadt" in r.text


def test_catalogue_page_in_the_citys_language(client, two_cities):
    r = client.get("/musterstadt/")
    assert r.status_code == 200
    assert '<html lang="de">' in r.text
    assert "Leistungen der Stadt Musterstadt" in r.text
    assert "Leistung b-light" in r.text
    assert "b-draft" not in r.text  # unpublished
    assert "a-light" not in r.text  # another city's


def test_language_switch_and_search(client, two_cities):
    r = client.get("/trujillo/?lang=en&q=a-light")
    assert '<html lang="en">' in r.text
    assert "Service a-light" in r.text
    assert "Streets and lighting" in r.text
    r = client.get("/trujillo/?lang=en&q=nothing-like-this")
    assert "No service matches your search." in r.text


def test_service_page_shows_fees_hours_documents_and_law(client, two_cities):
    r = client.get("/trujillo/services/a-light")
    assert r.status_code == 200
    assert "S/\xa012.50" in r.text  # PEN formatted as in Peru (es_PE)
    assert "Lunes, Martes: 08:00–16:00" in r.text
    assert "Identity document" in r.text
    assert 'href="https://example.org/law"' in r.text
    assert "2 días" in r.text
    assert "Quién puede usarlo" in r.text
    assert "Vecinos de la ciudad." in r.text


def test_unpublished_service_page_is_404(client, two_cities):
    assert (
        client.get("/trujillo/services/a-draft", headers={"Accept": "text/html"}).status_code == 404
    )


def test_pages_carry_a_strict_content_security_policy(client, two_cities):
    r = client.get("/trujillo/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "img-src 'self' data:;" in csp  # no outside host unless the city set a tile server
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    # the API reference draws with inline styles, and still loads nothing from elsewhere
    docs = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in docs
    assert "style-src 'self' 'unsafe-inline';" in docs


def test_pages_are_compressed_for_clients_that_ask(client, two_cities):
    r = client.get("/trujillo/", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    plain = client.get("/trujillo/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert r.text == plain.text


def test_the_chosen_language_is_remembered(client, two_cities):
    r = client.get("/trujillo/?lang=en")
    assert r.cookies.get("civitas_lang") == "en"
    again = client.get("/trujillo/")  # no ?lang=, the cookie decides
    assert '<html lang="en">' in again.text
    client.get("/trujillo/?lang=es")
    assert '<html lang="es">' in client.get("/trujillo/").text
    # a language the city does not offer is ignored: the city's default
    client.cookies.set("civitas_lang", "de")
    assert '<html lang="es">' in client.get("/trujillo/").text


def test_search_ignores_accents_and_case_in_every_language(db, client, two_cities):
    from civitas.catalogue.service import fold

    assert fold("Crème BRÛLÉE Ñandú Straße") == "creme brulee nandu strasse"
    # "Descripción." in Spanish, "Beschreibung." in German, "Description." in English
    for text in ("DESCRIPCION", "descripción", "beschreibung", "Descrip light"):
        page = client.get("/trujillo/", params={"q": text, "lang": "en"}).text
        assert "/trujillo/services/a-light" in page, text
    none = client.get("/trujillo/", params={"q": "zzz", "lang": "en"}).text
    assert "No service matches your search." in none


def test_the_catalogue_by_life_situation(client, two_cities):
    page = client.get("/trujillo/?by=life_situation&lang=en").text
    assert 'aria-current="page">By life situation' in page
    assert "/trujillo/services/a-light" in page
    assert "Mobility" in page or "mobility" in page.lower()


def test_dates_in_the_readers_locale_and_the_citys_time_zone():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from civitas.web.templating import when

    moment = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    lima = SimpleNamespace(timezone="America/Lima")
    berlin = SimpleNamespace(timezone="Europe/Berlin")
    assert when(moment, "datetime", "es_PE", lima).startswith("23/11/26, 9:05")  # UTC-5
    assert when(moment, "date", "es_PE", lima) == "23 nov. 2026"
    assert when(moment, "datetime", "de_DE", berlin) == "23.11.26, 15:05"
    assert when(moment, "date", "en", lima) == "Nov 23, 2026"
    assert when(None, "date", "en", lima) == ""


def test_each_city_has_its_own_colour_and_logo(client, two_cities):
    page = client.get("/trujillo/").text
    assert '<link rel="stylesheet" href="/trujillo/theme.css">' in page
    assert '<img src="/static/cities/trujillo.svg" alt=""' in page
    css = client.get("/trujillo/theme.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #8a1538;" in css.text
    assert "--accent: #00594f;" in client.get("/musterstadt/theme.css").text
    assert client.get("/static/cities/trujillo.svg").status_code == 200


def test_a_city_colour_must_keep_text_readable():
    import pytest
    from pydantic import ValidationError

    from civitas.cities.schemas import CityCreate, contrast_with_white
    from civitas.demo import DEMO_CITIES

    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    base = DEMO_CITIES[0].model_dump()
    with pytest.raises(ValidationError, match="too light"):
        CityCreate.model_validate({**base, "colour": "#ffcc00"})  # yellow on white: 1.6:1
    with pytest.raises(ValidationError, match="#rrggbb"):
        CityCreate.model_validate({**base, "colour": "red"})
    with pytest.raises(ValidationError):
        CityCreate.model_validate({**base, "logo": "../../etc/passwd"})
    assert CityCreate.model_validate({**base, "colour": "#0B5CAD"}).colour == "#0b5cad"
