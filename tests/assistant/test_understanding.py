"""Understanding, offline: the language, the intent (accents, typos, mixed case and
Peruvian Spanish tolerated; below the threshold: out of scope), and the entities a
message names (request numbers, dates and times, amounts, a shared point, a service,
the two ends of a journey, a stop)."""

from __future__ import annotations

from datetime import date, time

import pytest

from civitas.assistant import entities, nlu
from civitas.assistant.entities import Term


@pytest.fixture(scope="module")
def model():
    return nlu.train(list(nlu.builtin_examples()), check=True)


def test_the_built_in_examples_cover_every_intent_in_every_language():
    found = {(e.intent, e.language) for e in nlu.builtin_examples()}
    assert found == {(i, lang) for i in nlu.INTENTS for lang in nlu.LANGUAGES}
    counts: dict[tuple[str, str], int] = {}
    for e in nlu.builtin_examples():
        counts[(e.intent, e.language)] = counts.get((e.intent, e.language), 0) + 1
    assert min(counts.values()) >= 14


def test_the_held_out_check_scores_the_model(model):
    assert model.macro_f1 is not None
    assert 0.7 < model.macro_f1 <= 1.0
    assert set(model.per_intent) == set(nlu.INTENTS)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, quiero reportar un bache", "es"),
        ("Guten Tag, ich möchte ein Schlagloch melden", "de"),
        ("hello, I want to report a pothole", "en"),
        ("wann kommt der nächste bus", "de"),
        ("cuando pasa la combi", "es"),
    ],
)
def test_the_language_is_detected(model, text, language):
    assert model.language(text, "en") == language


def test_a_word_the_languages_share_keeps_the_citys_language(model):
    assert model.language("ok", "de") == "de"
    assert model.language("12", "es") == "es"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("¿Cuándo pasa el próximo micro en el paradero?", "transit_arrivals"),
        ("CUANDO PASA EL PROXIMO MICRO EN EL PARADERO", "transit_arrivals"),
        ("cuadno pasa el proxmo micro en el paradreo", "transit_arrivals"),
        ("quiero reportar que el paradero de la combi está roto", "report_problem"),
        ("llamen al serenazgo, hay mucha bulla", "report_problem"),
        ("baja policía no pasó por mi calle", "report_problem"),
        ("wie ist die luftqualitat heute", "air_quality"),
        ("i wanna talk to a human", "talk_to_person"),
    ],
)
def test_accents_typos_case_and_peruvian_words_are_tolerated(model, text, intent):
    assert model.understand(text).intent == intent


def test_below_the_threshold_it_does_not_guess(model):
    found = model.understand("zxqv plorf")
    assert found.intent == "out_of_scope"
    assert model.understand("").intent == "out_of_scope"
    strict = nlu.Model(
        fingerprint="x",
        intents=model.intents,
        languages=model.languages,
        threshold=0.999,
        examples=model.examples,
    )
    assert strict.understand("cuando pasa el proximo micro").intent == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("estado de la solicitud 1234", 1234),
        ("Anliegen Nr. 77 bitte", 77),
        ("what about #3021", 3021),
        ("mi número es 88", 88),
        ("1201", 1201),
        ("cuando pasa la linea 12", None),
        ("a las 8:30 en la plaza", None),
        ("pagué 20 soles", None),
        ("entre 3 y 4", None),
    ],
)
def test_request_numbers(text, number):
    assert entities.request_number(text) == number


def test_dates_and_times():
    friday = date(2026, 12, 4)
    assert entities.when("mañana a las 8", friday) == entities.When(date(2026, 12, 5), time(8, 0))
    assert entities.when("por la mañana", friday).day is None
    assert entities.when("am Montag um 9 Uhr", friday) == entities.When(
        date(2026, 12, 7), time(9, 0)
    )
    assert entities.when("on 24.12. at 3 pm", friday) == entities.When(
        date(2026, 12, 24), time(15, 0)
    )
    assert entities.when("2027-01-15 10:45", friday) == entities.When(
        date(2027, 1, 15), time(10, 45)
    )
    assert entities.when("el 31/02", friday).day is None  # no such day


def test_amounts():
    assert entities.amounts("cuesta S/ 15.50") == [entities.Amount(1550, "PEN")]
    assert entities.amounts("20 soles") == [entities.Amount(2000, "PEN")]
    assert entities.amounts("46,50 €") == [entities.Amount(4650, "EUR")]
    assert entities.amounts("nada") == []


def test_a_shared_point():
    assert entities.point("-8.111600, -79.028800") == (-8.1116, -79.0288)
    assert entities.point("51.3397 12.3731") == (51.3397, 12.3731)
    assert entities.point("line 12") is None
    assert entities.point("95.123, 10.123") is None


TERMS = [
    Term("Bache en la pista", "pothole"),
    Term("Schlagloch", "pothole"),
    Term("hueco", "pothole"),
    Term("Alumbrado público averiado", "streetlight"),
    Term("Rauch", "air-quality-report"),
    Term("bus", "bus-stop-damage"),
]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("hay un hueco en mi calle", "pothole"),
        ("hay unos huecos en mi calle", "pothole"),
        ("Schlagloh in der Hauptstraße", "pothole"),
        ("el alumbrado publico esta averiado", "streetlight"),
        ("ich brauche einen Termin", None),  # brauche is not Rauch
        ("busco un certificado", None),  # busco is not bus
        ("nada que ver", None),
    ],
)
def test_services_by_name_with_typos(text, code):
    found = entities.service(text, TERMS)
    assert (found[0] if found else None) == code


def test_services_by_what_they_are_about():
    described = entities.Descriptions(
        {
            "bulky-waste": "Bulky waste pickup. Have furniture, mattresses and other large "
            "items collected at your home.",
            "library-card": "Library card. Get your card to borrow books and films.",
            "pothole": "Pothole. Report potholes and damage to roads and pavements.",
        }
    )
    mattress = described.best("please take away my old mattress")
    books = described.best("I want to borrow books")
    assert mattress is not None
    assert mattress[0] == "bulky-waste"
    assert books is not None
    assert books[0] == "library-card"
    assert described.best("what time is it") is None
    assert described.best("please take away my old mattress", {"pothole"}) is None


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("how do I get from the station to the hospital", ("station", "hospital")),
        ("de la plaza de armas al hospital belen", ("plaza de armas", "hospital belen")),
        ("desde el mercado hasta la universidad?", ("mercado", "universidad")),
        ("von Hauptbahnhof nach Grünau bitte", ("hauptbahnhof", "grunau")),
        ("take me to the museum", (None, "museum")),
        ("hola", (None, None)),
    ],
)
def test_the_two_ends_of_a_journey(text, ends):
    assert entities.from_to(text) == ends


def test_a_stop_named_in_a_sentence():
    names = ["Plaza de Armas", "Mercado Central", "Hospital Belén"]
    assert entities.stop_in("cuando pasa el micro por la plaza de armaz", names) == "Plaza de Armas"
    assert entities.stop_in("next bus at hospital belen?", names) == "Hospital Belén"
    assert entities.stop_in("cuando pasa el micro", names) is None
