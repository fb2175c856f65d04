"""The resident assistant, measured:

* **accuracy**: intent macro-F1 and service accuracy on the labelled test set
  (bench/data/assistant_{es,de,en}.tsv: 375 sentences written to resemble what residents
  type, with typos, slang and no accents), kept apart from the training examples (the
  run counts any overlap after folding: it must be 0). Each language is asked of a city
  that speaks it: Spanish and English of a Peruvian city, German of a German one, each
  with the demo catalogue and the demo's words for its services. Beside it, in the same
  run, a baseline: the nearest training example by fuzzy string similarity (rapidfuzz).
* **latency**: every test sentence as the first message of a conversation through the
  same function the API calls (stored, understood, answered, committed) on SQLite,
  pinned to one core: p50 and p99 per turn; beside it the classifier alone and a bare
  database round trip (SELECT 1 and a commit).
* **training**: a city's model trained from scratch (the repository's examples and the
  city's catalogue), with the held-out check, in seconds.

    python bench/bench_assistant.py

Ends with one line: RESULT intent_macro_f1=… baseline_macro_f1=… service_accuracy=…
baseline_service_accuracy=… test_utterances=… overlap=… turn_p50_ms=… turn_p99_ms=…
classify_p99_ms=… bare_p99_ms=… train_s=… heldout_macro_f1=…
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CITIES = {
    "PE": {
        "slug": "costa",
        "name": "Costa",
        "country": "PE",
        "languages": ["es", "en"],
        "default_language": "es",
        "timezone": "America/Lima",
        "currency": "PEN",
        "jurisdiction_id": "costa.example",
        "center_lat": -8.11,
        "center_lon": -79.03,
        "extent": {"min_lat": -8.2, "min_lon": -79.1, "max_lat": -8.0, "max_lon": -78.9},
    },
    "DE": {
        "slug": "talstadt",
        "name": "Talstadt",
        "country": "DE",
        "languages": ["de", "en"],
        "default_language": "de",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "jurisdiction_id": "talstadt.example",
        "center_lat": 51.34,
        "center_lon": 12.37,
        "extent": {"min_lat": 51.2, "min_lon": 12.2, "max_lat": 51.5, "max_lon": 12.6},
    },
}
CITY_OF = {"es": "PE", "en": "PE", "de": "DE"}
SERVICE_INTENTS = ("report_problem", "service_info", "apply_online", "book_appointment")


def test_set() -> list[tuple[str, str, str | None, str]]:
    rows = []
    for language in ("es", "de", "en"):
        for line in (DATA / f"assistant_{language}.tsv").read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            lang, intent, service, text = line.split("\t")
            rows.append((lang, intent, None if service == "-" else service, text))
    return rows


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    folder = Path(tempfile.mkdtemp(prefix="civitas-bench-assistant-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    os.environ["CIVITAS_DATABASE_URL"] = url
    os.environ.setdefault("CIVITAS_JOBS_BACKEND", "immediate")
    from rapidfuzz import fuzz, process
    from sklearn.metrics import f1_score
    from sqlalchemy import text

    from civitas.assistant import demo as assistant_demo
    from civitas.assistant import entities, nlu, service, training
    from civitas.catalogue import demo as catalogue_demo
    from civitas.cities.schemas import CityCreate
    from civitas.cities.service import create_city, enter_city
    from civitas.core.config import get_settings
    from civitas.core.db import engine_for, session_scope
    from civitas.core.migrate import upgrade

    engine = engine_for(url)
    upgrade(engine)
    for spec in CITIES.values():
        with session_scope(engine) as db:
            city = create_city(db, CityCreate.model_validate(spec))
            catalogue_demo.load(db, city, get_settings(), "x")
            assistant_demo.teach_words(db, city)

    rows = test_set()
    training_folded = {nlu.fold(e.text) for e in nlu.builtin_examples()}
    overlap = sum(1 for _, _, _, t in rows if nlu.fold(t) in training_folded)

    models: dict[str, Any] = {}
    catalogues: dict[str, Any] = {}
    train_s: list[float] = []
    heldout: list[float] = []
    examples_of: dict[str, list[Any]] = {}
    with session_scope(engine) as db:
        from civitas.cities.models import City
        from civitas.core.tenancy import bind_all_cities

        bind_all_cities(db)
        cities = {c.country: c for c in db.query(City)}
    for country, city in cities.items():
        with session_scope(engine) as db:
            city = db.merge(city, load=False)
            enter_city(db, city)
            examples = training.examples_of(db, city)
            examples_of[country] = examples
            started = time.perf_counter()
            model = nlu.train(examples)
            train_s.append(time.perf_counter() - started)
            heldout.append(model.macro_f1 or 0.0)
            models[country] = model
            catalogues[country] = training.catalogue_of(db, city)
            print(
                f"{country}: {model.examples} examples, trained with the held-out check in "
                f"{train_s[-1]:.2f} s, held-out macro-F1 {model.macro_f1:.3f}"
            )

    # accuracy, and the baseline beside it
    gold, predicted, baseline = [], [], []
    services_right = services_total = baseline_services_right = 0
    no_service = services_invented = 0
    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    wrong: list[str] = []
    missed: list[str] = []
    for lang, intent, code, sentence in rows:
        country = CITY_OF[lang]
        model, catalogue = models[country], catalogues[country]
        understood = model.understand(sentence)
        gold.append(intent)
        predicted.append(understood.intent)
        by_language[lang].append((intent, understood.intent))
        if understood.intent != intent:
            wrong.append(f"  {lang} {intent:>16} → {understood.intent:<16} {sentence}")
        choices = {i: nlu.fold(e.text) for i, e in enumerate(examples_of[country])}
        nearest = process.extractOne(nlu.fold(sentence), choices, scorer=fuzz.WRatio)
        baseline.append(examples_of[country][nearest[2]].intent if nearest else "out_of_scope")
        if code is None and intent in SERVICE_INTENTS:
            no_service += 1
            terms = catalogue.terms
            if understood.intent == "report_problem":
                terms = [t for t in terms if catalogue.services[t.code].is_open311]
            if entities.service(sentence, terms) or catalogue.descriptions.best(
                sentence, {t.code for t in terms}
            ):
                services_invented += 1
                missed.append(f"  {lang} {'(none)':>22} → a service          {sentence}")
        if code is not None:
            services_total += 1
            terms = catalogue.terms
            if understood.intent == "report_problem":
                terms = [t for t in terms if catalogue.services[t.code].is_open311]
            found = entities.service(sentence, terms) or catalogue.descriptions.best(
                sentence, {t.code for t in terms}
            )
            services_right += int(bool(found) and found[0] == code)
            if not (found and found[0] == code):
                missed.append(f"  {lang} {code:>22} → {found[0] if found else '-':<22} {sentence}")
            names = {i: t.text for i, t in enumerate(catalogue.terms)}
            near = process.extractOne(sentence, names, scorer=fuzz.WRatio)
            baseline_services_right += int(bool(near) and catalogue.terms[near[2]].code == code)
    macro = float(f1_score(gold, predicted, average="macro", zero_division=0))
    base_macro = float(f1_score(gold, baseline, average="macro", zero_division=0))
    for lang, pairs in by_language.items():
        f1 = f1_score(
            [g for g, _ in pairs], [p for _, p in pairs], average="macro", zero_division=0
        )
        print(f"{lang}: macro-F1 {f1:.3f} on {len(pairs)} sentences")
    print(f"misunderstood ({len(wrong)}):")
    print("\n".join(wrong))
    print(f"services missed ({len(missed)}):")
    print("\n".join(missed))
    print("in the training examples too:")
    print("\n".join(f"  {t}" for _, _, _, t in rows if nlu.fold(t) in training_folded))

    # latency: a whole turn as the API runs it, the classifier alone, a bare round trip
    turn_ms, classify_ms, bare_ms = [], [], []
    for i, (lang, _intent, _code, sentence) in enumerate(rows):
        country = CITY_OF[lang]
        with session_scope(engine) as db:
            city = db.merge(cities[country], load=False)
            enter_city(db, city)
            started = time.perf_counter()
            service.post(db, city, text=sentence, channel="api", sender=f"bench-{i}", language=lang)
            db.commit()
            turn_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        models[country].understand(sentence)
        classify_ms.append((time.perf_counter() - started) * 1000)
        with session_scope(engine) as db:
            started = time.perf_counter()
            db.execute(text("SELECT 1"))
            db.commit()
            bare_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"turn p50 {statistics.median(turn_ms):.1f} ms, p99 {pct(turn_ms, 99):.1f} ms; "
        f"classifier p99 {pct(classify_ms, 99):.2f} ms; bare round trip p99 "
        f"{pct(bare_ms, 99):.2f} ms"
    )
    engine.dispose()
    print(
        f"RESULT intent_macro_f1={macro:.3f} baseline_macro_f1={base_macro:.3f} "
        f"service_accuracy={services_right / max(1, services_total):.3f} "
        f"baseline_service_accuracy={baseline_services_right / max(1, services_total):.3f} "
        f"service_invented={services_invented}/{no_service} "
        f"test_utterances={len(rows)} overlap={overlap} "
        f"turn_p50_ms={statistics.median(turn_ms):.1f} turn_p99_ms={pct(turn_ms, 99):.1f} "
        f"classify_p99_ms={pct(classify_ms, 99):.2f} bare_p99_ms={pct(bare_ms, 99):.2f} "
        f"train_s={max(train_s):.2f} heldout_macro_f1={min(heldout):.3f}"
    )


if __name__ == "__main__":
    main()
