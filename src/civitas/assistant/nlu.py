"""Understanding a message, offline: the language it is written in and what the resident
wants (one of :data:`INTENTS`), from classifiers trained on example sentences.

The examples come from the repository (``data/<lang>.yaml``, written for this purpose),
from the city's catalogue (each service's name and keywords in sentences of each kind)
and from what the city's administrators taught (examples and synonyms). Text is folded
first (lower case, accents removed, digits as one sign), and the classifier reads word
pairs as well as letter groups of two to five, so typos, missing accents and mixed case
still land near what was meant. Below a confidence threshold the answer is
``out_of_scope``: the assistant says it did not understand rather than guess.

Training a city's model takes a second or two (``bench/bench_assistant.py``); a trained
model is kept in the process, keyed by a fingerprint of its examples."""

from __future__ import annotations

import hashlib
import re
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

INTENTS = (
    "report_problem",
    "request_status",
    "service_info",
    "apply_online",
    "book_appointment",
    "transit_arrivals",
    "journey_plan",
    "air_quality",
    "talk_to_person",
    "greeting",
    "thanks",
    "out_of_scope",
)
LANGUAGES = ("es", "de", "en")
DATA = Path(__file__).parent / "data"
THRESHOLD = 0.30  # the default; a city can set its own

_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w#]+")


def fold(text: str) -> str:
    """Lower case, accents removed (é → e, ü → u, ñ → n), digits as one sign ("#"),
    punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _DIGITS.sub(" # ", plain)
    return " ".join(_NOT_WORD.sub(" ", plain).split())


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str


@cache
def builtin_examples() -> tuple[Example, ...]:
    """The repository's example sentences, every language."""
    found: list[Example] = []
    for language in LANGUAGES:
        data = yaml.safe_load((DATA / f"{language}.yaml").read_text(encoding="utf-8"))
        for intent, texts in data.items():
            if intent not in INTENTS:
                raise ValueError(f"data/{language}.yaml: unknown intent {intent!r}")
            found.extend(Example(str(t), intent, language) for t in texts)
    return tuple(found)


@dataclass(frozen=True)
class Understood:
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]  # the three likeliest intents


@dataclass
class Model:
    """A city's trained classifiers and how well the intent one did on held-out examples."""

    fingerprint: str
    intents: Pipeline
    languages: Pipeline
    threshold: float
    examples: int
    macro_f1: float | None = None  # on the held-out fifth, before the model was used
    per_intent: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def understand(self, text: str) -> Understood:
        folded = fold(text)
        if not folded.strip("# "):
            return Understood("out_of_scope", 1.0, (("out_of_scope", 1.0),))
        probabilities = self.intents.predict_proba([folded])[0]
        classes = list(self.intents.classes_)
        ranked = sorted(zip(classes, probabilities, strict=True), key=lambda p: -p[1])[:3]
        best, confidence = ranked[0]
        if confidence < self.threshold:
            best = "out_of_scope"
        return Understood(
            str(best), float(confidence), tuple((str(i), float(p)) for i, p in ranked)
        )

    def language(self, text: str, default: str) -> str:
        folded = fold(text)
        if len(folded.replace("#", "").replace(" ", "")) < 4:  # "ok", "hi", "12"
            return default
        probabilities = self.languages.predict_proba([folded])[0]
        classes = list(self.languages.classes_)
        best = max(range(len(classes)), key=lambda i: probabilities[i])
        # a word or two shared by the languages ("hi", "ok"): the city's own language
        if probabilities[best] < 0.5:
            return default
        return str(classes[best])


def _intent_pipeline() -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "letters",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
                            ),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word",
                                ngram_range=(1, 2),
                                sublinear_tf=True,
                                token_pattern=r"(?u)\b\w+\b|#",  # noqa: S106 - a pattern, not a password
                            ),
                        ),
                    ]
                ),
            ),
            ("classify", LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")),
        ]
    )


def _language_pipeline() -> Pipeline:
    return Pipeline(
        [
            ("letters", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4))),
            ("classify", MultinomialNB(alpha=0.1)),
        ]
    )


def fingerprint(examples: list[Example], threshold: float) -> str:
    digest = hashlib.sha256(f"{threshold:.4f}".encode())
    for e in sorted(examples, key=lambda e: (e.intent, e.language, e.text)):
        digest.update(f"{e.intent}\t{e.language}\t{e.text}\n".encode())
    return digest.hexdigest()[:32]


def train(examples: list[Example], *, threshold: float = THRESHOLD, check: bool = True) -> Model:
    """Train on the examples; with ``check``, first on four fifths of them, scored on the
    fifth held out (macro-F1 over the intents), then on all."""
    started = time.perf_counter()
    texts = [fold(e.text) for e in examples]
    labels = [e.intent for e in examples]
    macro: float | None = None
    per_intent: dict[str, float] = {}
    if check:
        counts = Counter(labels)
        stratify = labels if min(counts.values()) >= 2 else None
        train_x, test_x, train_y, test_y = train_test_split(
            texts, labels, test_size=0.2, random_state=7, stratify=stratify
        )
        trial = _intent_pipeline().fit(train_x, train_y)
        predicted = trial.predict(test_x)
        macro = float(f1_score(test_y, predicted, average="macro", zero_division=0))
        names = sorted(set(test_y))
        scores = f1_score(test_y, predicted, labels=names, average=None, zero_division=0)
        per_intent = {n: float(s) for n, s in zip(names, scores, strict=True)}
    intents = _intent_pipeline().fit(texts, labels)
    languages = _language_pipeline().fit(texts, [e.language for e in examples])
    return Model(
        fingerprint=fingerprint(examples, threshold),
        intents=intents,
        languages=languages,
        threshold=threshold,
        examples=len(examples),
        macro_f1=macro,
        per_intent=per_intent,
        seconds=time.perf_counter() - started,
    )


_lock = threading.Lock()
_models: dict[str, Model] = {}
MODELS_KEPT = 48


def model_for(examples: list[Example], *, threshold: float = THRESHOLD) -> Model:
    """The trained model of these examples: from the process's cache, else trained now."""
    key = fingerprint(examples, threshold)
    found = _models.get(key)
    if found is not None:
        return found
    with _lock:
        found = _models.get(key)
        if found is None:
            found = train(examples, threshold=threshold, check=False)
            _keep(found)
    return found


def checked_model_for(examples: list[Example], *, threshold: float = THRESHOLD) -> Model:
    """The model of these examples scored on its held-out fifth: the one checked before in
    this process when the examples are the same (training is seeded, so checking again
    would give the same figures), else trained and checked now."""
    found = _models.get(fingerprint(examples, threshold))
    if found is not None and found.macro_f1 is not None:
        return found
    model = train(examples, threshold=threshold, check=True)
    remember(model)
    return model


def _keep(model: Model) -> None:
    """Into the process's cache (the caller holds the lock); a few dozen cities' models at
    most, each a few megabytes."""
    if len(_models) >= MODELS_KEPT:
        _models.pop(next(iter(_models)))
    _models[model.fingerprint] = model


def remember(model: Model) -> None:
    """Keep a model trained (and checked) elsewhere in this process."""
    with _lock:
        _keep(model)


def describe(model: Model) -> dict[str, Any]:
    return {
        "fingerprint": model.fingerprint,
        "examples": model.examples,
        "macro_f1": model.macro_f1,
        "per_intent": model.per_intent,
        "seconds": round(model.seconds, 2),
    }
