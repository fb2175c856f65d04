"""A city's inventory per year (its GWP set and its landfill's parameters), the activity
lines (each with its GPC reference, quantity, unit, factor and the source of its data),
notation keys for what has no figure, the city's own emission factors, and the waste
deposited in its landfill (for first-order decay)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class Inventory(TenantMixin, Base):
    __tablename__ = "climate_inventories"
    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    gwp: Mapped[str] = mapped_column(String(10), default="AR5")
    climate_zone: Mapped[str] = mapped_column(String(40), default="tropical_dry")
    landfill_mcf: Mapped[float] = mapped_column(Float, default=1.0)
    landfill_ox: Mapped[float] = mapped_column(Float, default=0.0)
    population: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityLine(TenantMixin, Base):
    """One activity of a year: ``quantity`` ``unit`` under GPC row ``gpc_ref``, turned into
    gases by ``factor`` (the city's own or Civitas's defaults). ``service`` names the
    catalogue service whose emissions it is (the city's own operations)."""

    __tablename__ = "climate_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    month: Mapped[int | None] = mapped_column(Integer, default=None)
    gpc_ref: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    factor: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(300))  # where the activity data comes from
    service: Mapped[str | None] = mapped_column(String(60), default=None)
    origin: Mapped[str] = mapped_column(String(40), default="entered")  # entered | csv
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class NotationKey(TenantMixin, Base):
    """What a GPC row without a figure is: NO, IE, NE or C, and why."""

    __tablename__ = "climate_notation_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "year", "gpc_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    gpc_ref: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(2))
    explanation: Mapped[str] = mapped_column(String(300), default="")


class Factor(TenantMixin, Base):
    """The city's own emission factor (kg of each gas per unit of activity), dated and
    with its source; a code of Civitas's defaults is replaced by the city's from
    ``valid_from`` on."""

    __tablename__ = "climate_factors"
    __table_args__ = (UniqueConstraint("tenant_id", "code", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    co2: Mapped[float] = mapped_column(Float, default=0.0)
    ch4: Mapped[float] = mapped_column(Float, default=0.0)
    n2o: Mapped[float] = mapped_column(Float, default=0.0)
    fossil_ch4: Mapped[bool] = mapped_column(Boolean, default=False)
    grid: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date] = mapped_column(Date)


class WasteDeposit(TenantMixin, Base):
    """Tonnes of a waste type put into the city's landfill in a year (first-order decay
    turns every year's deposits into this year's methane)."""

    __tablename__ = "climate_waste_deposits"
    __table_args__ = (UniqueConstraint("tenant_id", "year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    tonnes: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))


class Plan(TenantMixin, Base):
    """The city's target: from the base year's total down by ``reduction_pct`` by the
    target year, in a straight line."""

    __tablename__ = "climate_plans"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_year: Mapped[int] = mapped_column(Integer)
    target_year: Mapped[int] = mapped_column(Integer)
    reduction_pct: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(String(10), default="BASIC")
