"""Catalogue import: validate everything first, import nothing on any error, name each problem."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civitas.catalogue.export import to_yaml
from civitas.catalogue.importer import import_catalogue
from civitas.catalogue.models import Service
from civitas.catalogue.service import list_services, service_to_schema
from civitas.cities.service import enter_city, get_city_by_slug, list_departments
from civitas.core.audit import AuditEntry
from civitas.core.errors import InvalidInput
from civitas.core.i18n import translate

GOOD = """\
departments:
  - code: library
    name: {es: Biblioteca, en: Library}
services:
  - code: library-card
    name: {es: Carné de biblioteca, en: Library card}
    description: {es: Preste libros., en: Borrow books.}
    category: library
    channels: [online, office]
    department: library
    fees:
      - {amount_minor: 1000, currency: PEN}
    target_hours: 24
    opening_hours:
      - {days: [mo, tu, we], opens: "09:00", closes: "18:00"}
  - code: pothole
    name: {en: Pothole}
    description: {en: Report a pothole.}
    category: roads
    channels: [open311]
    department: roads
    open311:
      type: realtime
      attributes:
        - code: size
          datatype: number
          order: 1
          description: {en: Size in cm}
"""

BAD = """\
services:
  - code: ok-one
    name: {en: Fine}
    description: {en: Fine.}
    category: library
    channels: [online]
    department: roads
  - code: broken
    name: {en: Broken}
    description: {en: Broken.}
    category: spaceport
    channels: []
    department: nowhere
    fees:
      - {amount_minor: -5, currency: XYZ}
  - code: ok-one
    name: {en: Twice}
    description: {en: Twice.}
    category: waste
    channels: [phone]
    department: roads
    fees:
      - {amount_minor: 100, currency: EUR}
"""


def _city(db, slug="trujillo"):
    return enter_city(db, get_city_by_slug(db, slug))


def _count(db):
    return db.scalar(select(func.count(Service.id)))


def test_yaml_import_creates_departments_and_services(db, two_cities):
    city = _city(db)
    counts = import_catalogue(db, city, text=GOOD, fmt="yaml", actor="test")
    db.commit()
    assert counts == {
        "departments_created": 1,
        "departments_updated": 0,
        "created": 2,
        "updated": 0,
    }
    card = service_to_schema(next(s for s in list_services(db, city) if s.code == "library-card"))
    assert card.fees[0].amount_minor == 1000
    assert card.opening_hours[0].days == ["mo", "tu", "we"]
    assert card.department == "library"
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == "library-card")
    ).all()
    assert actions == ["service.created"]


def test_importing_the_same_file_again_changes_nothing(db, two_cities):
    city = _city(db)
    import_catalogue(db, city, text=GOOD, fmt="yaml", actor="test")
    db.commit()
    audits = db.scalar(select(func.count(AuditEntry.id)))
    counts = import_catalogue(db, city, text=GOOD, fmt="yaml", actor="test")
    db.commit()
    assert counts["updated"] == 2
    assert counts["created"] == 0
    assert (
        db.scalar(select(func.count(AuditEntry.id))) == audits
    )  # nothing changed, nothing audited


def test_bad_file_reports_every_problem_with_its_line_and_imports_nothing(db, two_cities):
    city = _city(db)
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(db, city, text=BAD, fmt="yaml", actor="test")
    db.rollback()
    problems = {p.location: translate("en", p.message, **p.params) for p in caught.value.problems}
    assert problems["line 11: services[1].category"].startswith("Choose one of:")
    assert problems["line 12: services[1].channels"] == "Give at least 1 item."
    assert problems["line 15: services[1].fees[0].amount_minor"] == "Give a number of at least 0."
    assert "ISO 4217" in problems["line 15: services[1].fees[0].currency"]
    assert len(problems) == 4
    assert _count(db) == before


def test_cross_checks_find_duplicates_unknown_departments_and_foreign_currency(db, two_cities):
    city = _city(db)
    text = BAD.replace("category: spaceport", "category: roads").replace(
        "channels: []", "channels: [online]"
    )
    text = text.replace("{amount_minor: -5, currency: XYZ}", "{amount_minor: 5, currency: PEN}")
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(db, city, text=text, fmt="yaml", actor="test")
    messages = [translate("en", p.message, **p.params) for p in caught.value.problems]
    locations = [p.location for p in caught.value.problems]
    assert "The code 'ok-one' is used twice (also at entry 0)." in messages
    assert any("Unknown department 'nowhere'" in m for m in messages)
    assert "Fees are charged in the city's currency PEN, not EUR." in messages
    assert "line 16: services[2].code" in locations
    assert _count(db) == 2  # only the world's two services


def test_problems_are_translated(db, two_cities):
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(db, _city(db), text=BAD, fmt="yaml", actor="test")
    german = [translate("de", p.message, **p.params) for p in caught.value.problems]
    assert "Geben Sie mindestens 1 Eintrag an." in german


def test_yaml_syntax_error_names_the_line(db, two_cities):
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(
            db, _city(db), text="services:\n  - code: [unclosed\n", fmt="yaml", actor="t"
        )
    assert caught.value.problems[0].location == "line 3"


def test_csv_import(db, two_cities):
    text = (
        "code,name_es,name_en,description_es,description_en,category,channels,department,"
        "fee_amount_minor,fee_currency,target_hours,keywords,published\n"
        "dog-tax,Licencia canina,Dog licence,Registre su perro.,Register your dog.,environment,"
        "online;office,roads,1500,PEN,72,perro;dog,yes\n"
        "bad,,,,,nowhere,online,roads,,,,,\n"
    )
    city = _city(db)
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(db, city, text=text, fmt="csv", actor="test")
    locations = " ".join(p.location for p in caught.value.problems)
    assert "line 3: services[1].category" in locations
    assert "line 3: services[1].name" in locations
    import_catalogue(db, city, text=text.rsplit("bad,", 1)[0], fmt="csv", actor="test")
    db.commit()
    dog = service_to_schema(next(s for s in list_services(db, city) if s.code == "dog-tax"))
    assert dog.channels == ["online", "office"]
    assert dog.fees[0].amount_minor == 1500
    assert dog.open311.keywords == ["perro", "dog"]


def test_csv_with_unknown_columns_is_refused(db, two_cities):
    with pytest.raises(InvalidInput) as caught:
        import_catalogue(db, _city(db), text="code,colour\nx,red\n", fmt="csv", actor="t")
    messages = {translate("en", p.message, **p.params) for p in caught.value.problems}
    assert "Unknown column 'colour'." in messages
    assert "Missing column 'category'." in messages


def test_yaml_export_round_trips(db, two_cities):
    city = _city(db)
    import_catalogue(db, city, text=GOOD, fmt="yaml", actor="test")
    db.commit()
    exported = to_yaml(
        list_departments(db, city), list_services(db, city, include_unpublished=True)
    )
    before = {
        s.code: service_to_schema(s) for s in list_services(db, city, include_unpublished=True)
    }
    # import into the other city, adapting the currency, then compare the services whole
    db.close()
    db.info.clear()
    other = _city(db, "musterstadt")
    counts = import_catalogue(db, other, text=exported.replace("PEN", "EUR"), fmt="yaml", actor="t")
    db.commit()
    after = {
        s.code: service_to_schema(s) for s in list_services(db, other, include_unpublished=True)
    }
    assert counts["created"] == 4  # all four services are new in the other city
    for code in ("library-card", "pothole", "a-light", "a-draft"):
        left = before[code].model_dump()
        right = after[code].model_dump()
        for fee in left["fees"]:
            fee["currency"] = "EUR"
        assert left == right
