"""The one tenancy mechanism: bound sessions see and write only their city's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from civitas.accounts.models import ApiKey, User
from civitas.catalogue.models import Service
from civitas.cities.models import City, Department
from civitas.core.errors import TenancyViolation
from civitas.core.tenancy import bind_all_cities, bind_city


def test_bound_session_reads_only_its_city(db, two_cities):
    bind_city(db, two_cities.a.id)
    codes = set(db.scalars(select(Service.code)))
    assert codes == {"a-light", "a-draft"}
    assert {u.username for u in db.scalars(select(User))} == set(two_cities.a.users.values())


def test_get_by_primary_key_of_other_city_finds_nothing(db, two_cities):
    bind_all_cities(db)
    b_service_id = db.scalar(select(Service.id).where(Service.code == "b-light"))
    db.rollback()
    db.info.clear()
    db.expunge_all()
    bind_city(db, two_cities.a.id)
    assert db.get(Service, b_service_id) is None


def test_joins_and_relationship_loads_are_scoped(db, two_cities):
    bind_city(db, two_cities.b.id)
    rows = db.execute(select(Service.code, Department.code).join(Department)).all()
    assert {r[0] for r in rows} == {"b-light", "b-draft"}
    service = db.scalar(select(Service).where(Service.code == "b-light"))
    assert service.department.tenant_id == two_cities.b.id


def test_unbound_session_refuses_city_rows(db, two_cities):
    with pytest.raises(TenancyViolation, match="bound to no city"):
        db.scalars(select(Service)).all()
    # cities themselves are public
    assert len(db.scalars(select(City)).all()) == 2


def test_rebinding_to_another_city_is_refused(db, two_cities):
    bind_city(db, two_cities.a.id)
    with pytest.raises(TenancyViolation):
        bind_city(db, two_cities.b.id)


def test_adding_a_row_of_another_city_is_refused(db, two_cities):
    bind_city(db, two_cities.a.id)
    db.add(Department(code="x", name={"en": "X"}, tenant_id=two_cities.b.id))
    with pytest.raises(TenancyViolation, match="of city"):
        db.flush()


def test_new_rows_get_the_bound_city(db, two_cities):
    bind_city(db, two_cities.a.id)
    dept = Department(code="parks", name={"en": "Parks"})
    db.add(dept)
    db.flush()
    assert dept.tenant_id == two_cities.a.id


def test_moving_a_row_to_another_city_is_refused(db, two_cities):
    bind_city(db, two_cities.a.id)
    dept = db.scalar(select(Department))
    dept.tenant_id = two_cities.b.id
    with pytest.raises(TenancyViolation, match="another city"):
        db.flush()


def test_bulk_update_and_delete_touch_only_the_bound_city(db, two_cities):
    bind_city(db, two_cities.a.id)
    db.execute(update(Service).values(published=False))
    db.execute(delete(ApiKey))
    db.commit()
    db.info.clear()
    bind_all_cities(db)
    b_published = db.scalar(select(Service.published).where(Service.code == "b-light"))
    assert b_published is True
    keys = db.scalars(select(ApiKey.tenant_id)).all()
    assert keys == [two_cities.b.id]


def test_adding_without_a_city_is_refused(db, two_cities):
    db.add(Department(code="y", name={"en": "Y"}, tenant_id=two_cities.a.id))
    with pytest.raises(TenancyViolation, match="bound to no city"):
        db.flush()
