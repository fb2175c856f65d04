"""Good practices with measured effect: the evidence windows and the KPI are checked
whole (overlap, order, the future, a KPI the city does not publish), the effect comes
from the city's own figures with its cases and says when they are too few; a practice
goes draft → submitted → published by the coordinator's review; another city adopts it
and its own KPIs are followed; search by topic, KPI and effect."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civitas.cities.service import get_city_by_slug
from civitas.core.db import session_scope
from civitas.core.errors import Conflict, InvalidInput, PermissionDenied
from civitas.insight import scorecard
from civitas.insight.figures import current_month
from civitas.insight.models import KpiValue
from civitas.network import practices
from civitas.network.evidence import months
from civitas.network.models import Evidence, Practice
from tests.insight.test_scorecard import CARD

BEFORE = {"2026-01": (71.0, 40), "2026-02": (69.0, 60), "2026-03": (70.0, 50)}
AFTER = {"2026-05": (80.0, 45), "2026-06": (84.0, 55)}


def _figures(slug: str, values: dict[str, tuple[float, int]], kpi: str = "csat_pct") -> None:
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        scorecard.save(db, city, text=CARD, actor="test")  # publishes volume and csat_pct
        for month, (value, n) in values.items():
            db.add(KpiValue(period=month, kpi=kpi, dimension="all", key="", value=value, n=n))


def _data(**evidence: str) -> practices.PracticeIn:
    windows = {
        "kpi": "csat_pct",
        "baseline_from": "2026-01",
        "baseline_to": "2026-03",
        "after_from": "2026-05",
        "after_to": "2026-06",
        **evidence,
    }
    return practices.PracticeIn.model_validate(
        {
            "topic": "citizen_service",
            "title": {"es": "Resolver en la primera llamada"},
            "problem": {"es": "Los vecinos llamaban varias veces."},
            "action": {"es": "La central resuelve con el catálogo a la mano."},
            "services": ["a-light"],
            "evidence": [windows],
        }
    )


def _create(slug: str = "trujillo", **evidence: str) -> int:
    with session_scope() as db:
        city = get_city_by_slug(db, slug)
        return practices.create_practice(
            db, city, data=_data(**evidence), actor="user:a-caseworker"
        ).id


def test_the_effect_is_measured_on_the_citys_own_figures(two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    practice_id = _create()
    with session_scope() as db:
        found = db.scalars(select(Evidence).where(Evidence.practice_id == practice_id)).one()
        effect = found.effect
    # the windows' means weighted by their cases
    assert effect["baseline"] == pytest.approx((71 * 40 + 69 * 60 + 70 * 50) / 150, abs=1e-3)
    assert effect["after"] == pytest.approx((80 * 45 + 84 * 55) / 100, abs=1e-3)
    assert effect["n_baseline"] == 150
    assert effect["n_after"] == 100
    assert effect["verdict"] == "improved"  # satisfaction is better up


def test_too_few_cases_are_said_plainly(two_cities):
    _figures(
        "trujillo",
        {"2026-01": (70.0, 12), "2026-02": (71.0, 9), "2026-05": (90.0, 8), "2026-06": (95.0, 3)},
    )
    practice_id = _create()
    with session_scope() as db:
        effect = (
            db.scalars(select(Evidence).where(Evidence.practice_id == practice_id)).one().effect
        )
    assert effect["verdict"] == "too_thin"
    assert effect["n_after"] == 8  # the month of 3 cases is suppressed, as in public


@pytest.mark.parametrize(
    ("evidence", "field", "words"),
    [
        ({"after_from": "2026-03"}, "evidence[0].after_from", "overlap"),
        ({"baseline_to": "2025-12"}, "evidence[0].baseline_to", "ends before it begins"),
        ({"after_to": "2099-01"}, "evidence[0].after_to", "future"),
        ({"after_from": "2026-13"}, "evidence[0].after_from", "YYYY-MM"),
        ({"kpi": "nps"}, "evidence[0].kpi", "does not publish"),
        ({"kpi": "no_such_kpi"}, "evidence[0].kpi", "no KPI"),
    ],
)
def test_bad_evidence_is_refused_by_name_and_nothing_is_stored(two_cities, evidence, field, words):
    _figures("trujillo", {**BEFORE, **AFTER})
    with pytest.raises(InvalidInput) as refused:
        _create(**evidence)
    problems = {p.location: p for p in refused.value.problems}
    assert field in problems
    assert words in refused.value.problems[0].message or any(
        words in p.message for p in problems.values()
    )
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(Practice)) == 0


def test_review_publish_adopt_and_search(two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    practice_id = _create()
    with session_scope() as db:
        other = get_city_by_slug(db, "musterstadt")
        with pytest.raises(PermissionDenied):
            practices.submit(db, other, practice_id, actor="user:b-caseworker")
        with pytest.raises(Conflict):
            practices.review(db, practice_id, publish=True, note="", actor="user:coordinator")
    with session_scope() as db:
        own = get_city_by_slug(db, "trujillo")
        practices.submit(db, own, practice_id, actor="user:a-caseworker")
    with session_scope() as db:
        with pytest.raises(InvalidInput):
            practices.review(db, practice_id, publish=False, note=" ", actor="user:coordinator")
        practices.review(
            db, practice_id, publish=True, note="Clear evidence.", actor="user:coordinator"
        )
    with session_scope() as db:
        assert [p.id for p in practices.search(db, topic="citizen_service")] == [practice_id]
        assert [p.id for p in practices.search(db, kpi="csat_pct", verdict="improved")] == [
            practice_id
        ]
        assert practices.search(db, verdict="worsened") == []
        assert [p.id for p in practices.search(db, text="primera llamada")] == [practice_id]
    # Musterstadt adopts it and follows its own satisfaction
    _figures(
        "musterstadt",
        {
            "2026-01": (60.0, 80),
            "2026-02": (62.0, 70),
            "2026-05": (61.0, 90),
            "2026-06": (60.0, 85),
        },
    )
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        item = practices.EvidenceIn(
            kpi="csat_pct",
            baseline_from="2026-01",
            baseline_to="2026-02",
            after_from="2026-05",
            after_to="2026-06",
        )
        practices.adopt(
            db, city, practice_id, started="2026-04", items=[item], actor="user:b-manager"
        )
    with session_scope() as db:
        city = get_city_by_slug(db, "musterstadt")
        with pytest.raises(Conflict):
            practices.adopt(
                db, city, practice_id, started="2026-04", items=[], actor="user:b-manager"
            )
    with session_scope() as db:
        own = get_city_by_slug(db, "trujillo")
        with pytest.raises(Conflict):
            practices.adopt(
                db, own, practice_id, started="2026-04", items=[], actor="user:a-manager"
            )
        city = get_city_by_slug(db, "musterstadt")
        verdicts = {
            e.city_id: e.effect["verdict"]
            for e in db.scalars(select(Evidence).where(Evidence.practice_id == practice_id))
        }
        assert verdicts == {own.id: "improved", city.id: "no_change"}


def test_months_and_the_current_one(two_cities):
    assert months("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        this = current_month(city)
    _figures("trujillo", {**BEFORE, **AFTER})
    _create(after_to=this)  # the month under way is the latest an after period may end


def test_attachments_are_checked_by_content_and_size(two_cities, tmp_path):
    from tests.factories import tiny_png

    _figures("trujillo", {**BEFORE, **AFTER})
    practice_id = _create()
    png = tiny_png().data
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        with pytest.raises(InvalidInput) as big:
            practices.attach(
                db,
                city,
                practice_id,
                data=b"%PDF-" + b"0" * practices.MAX_ATTACHMENT_BYTES,
                name="big.pdf",
                media_root=tmp_path,
                actor="t",
            )
        assert "larger than" in big.value.problems[0].message
        with pytest.raises(InvalidInput) as wrong:
            practices.attach(
                db,
                city,
                practice_id,
                data=b"MZ\x90\x00",
                name="photo.png",
                media_root=tmp_path,
                actor="t",
            )
        assert wrong.value.problems[0].location == "file"
        assert not any(tmp_path.rglob("*.*"))  # nothing was written
        found = practices.attach(
            db,
            city,
            practice_id,
            data=png,
            name="../../evil\x00name.exe",
            media_root=tmp_path,
            actor="t",
        )
        assert found.name == "evilname.png"  # its real kind, no path
        assert (tmp_path / found.path).read_bytes() == png
    with session_scope() as db:
        other = get_city_by_slug(db, "musterstadt")
        with pytest.raises(PermissionDenied):
            practices.attach(
                db,
                other,
                practice_id,
                data=png,
                name="x.png",
                media_root=tmp_path,
                actor="t",
            )


def test_a_returned_draft_is_rewritten_in_another_language(two_cities):
    _figures("trujillo", {**BEFORE, **AFTER})
    practice_id = _create()
    with session_scope() as db:
        city = get_city_by_slug(db, "trujillo")
        data = _data()
        data.title = {"es": "Resolver en la primera llamada", "de": "Beim ersten Anruf lösen"}
        practices.update_practice(db, city, practice_id, data=data, actor="t")
        practices.submit(db, city, practice_id, actor="t")
        with pytest.raises(Conflict):  # submitted: no longer the city's to change
            practices.update_practice(db, city, practice_id, data=data, actor="t")
    with session_scope() as db:
        found = db.get(Practice, practice_id)
        assert found.title["de"] == "Beim ersten Anruf lösen"
        assert (
            len(db.scalars(select(Evidence).where(Evidence.practice_id == practice_id)).all()) == 1
        )
