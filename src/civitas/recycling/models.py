"""Recycling with formalised waste pickers (Peru's Ley 29419): materials, zones, picker
associations and pickers, households, buyers and their prices, pickups, the day's plans,
what was collected and what was sold.

Weights are grams, money minor units of the city's currency, times UTC. A collected
weight is traced to the sales it went into through ``recycling_allocations``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class Programme(TenantMixin, Base):
    """The city's recycling programme: its settings and goals (one row a city)."""

    __tablename__ = "recycling_programmes"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # metres of extra route the city accepts for one minor unit less income spread
    fairness_weight: Mapped[float] = mapped_column(Float, default=0.0)
    plan_time_limit_s: Mapped[int] = mapped_column(Integer, default=10)
    stop_minutes: Mapped[int] = mapped_column(Integer, default=6)
    max_pickup_kg: Mapped[int] = mapped_column(Integer, default=300)
    goal_tonnes_month: Mapped[float | None] = mapped_column(Float, default=None)
    goal_households: Mapped[int | None] = mapped_column(Integer, default=None)
    service_code: Mapped[str | None] = mapped_column(String(60), default=None)  # Open311
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Material(TenantMixin, Base):
    __tablename__ = "recycling_materials"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[dict[str, str]]
    # the city's reference price, for expected income in plans (buyers set real prices)
    reference_price_minor_per_kg: Mapped[int] = mapped_column(Integer, default=0)
    emission_factor: Mapped[str | None] = mapped_column(String(40), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Zone(TenantMixin, Base):
    """A collection zone: a box on the map and the weekdays (0 = Monday) of collection."""

    __tablename__ = "recycling_zones"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    collection_days: Mapped[list[int]]

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


class Association(TenantMixin, Base):
    """A registered association of waste pickers, with its collection centre."""

    __tablename__ = "recycling_associations"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    registration: Mapped[str | None] = mapped_column(String(40), default=None)  # e.g. RUC
    centre_lat: Mapped[float] = mapped_column(Float)
    centre_lon: Mapped[float] = mapped_column(Float)


class Picker(TenantMixin, Base):
    """A waste picker registered by the city; only verified pickers are planned."""

    __tablename__ = "recycling_pickers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    document_id: Mapped[str] = mapped_column(String(40))  # DNI or carné de extranjería
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("recycling_associations.id", ondelete="SET NULL"), default=None
    )
    zone_id: Mapped[int] = mapped_column(ForeignKey("recycling_zones.id", ondelete="RESTRICT"))
    vehicle: Mapped[str] = mapped_column(String(20))  # on_foot | tricycle | cart | motocargo
    capacity_kg: Mapped[int] = mapped_column(Integer)
    working_days: Mapped[list[int]]  # 0 = Monday
    shift_start: Mapped[str] = mapped_column(String(5))  # HH:MM, local
    shift_end: Mapped[str] = mapped_column(String(5))
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="registered")  # verified, suspended
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    verified_by: Mapped[str | None] = mapped_column(String(200), default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecyclingHousehold(TenantMixin, Base):
    """A household taking part: it separates at source and asks for pickups."""

    __tablename__ = "recycling_households"
    __table_args__ = (UniqueConstraint("tenant_id", "contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact: Mapped[str] = mapped_column(String(254))  # e-mail or phone, normalised
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    zone_id: Mapped[int] = mapped_column(ForeignKey("recycling_zones.id", ondelete="RESTRICT"))
    resident_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_accounts.id", ondelete="SET NULL"), default=None
    )
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Buyer(TenantMixin, Base):
    """A company that buys recyclables and publishes what it buys at which price."""

    __tablename__ = "recycling_buyers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(40), default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, unique=True
    )


class BuyerPrice(TenantMixin, Base):
    """A buyer's price for a material from a date (the latest from before a sale applies)."""

    __tablename__ = "recycling_buyer_prices"
    __table_args__ = (UniqueConstraint("buyer_id", "material_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("recycling_buyers.id", ondelete="CASCADE"))
    material_id: Mapped[int] = mapped_column(
        ForeignKey("recycling_materials.id", ondelete="CASCADE")
    )
    price_minor_per_kg: Mapped[int] = mapped_column(Integer)
    min_kg: Mapped[int] = mapped_column(Integer, default=0)  # the demand: least it takes
    valid_from: Mapped[date] = mapped_column(Date)


class Pickup(TenantMixin, Base):
    """A household's pickup; also a service request of the city (Open311, status page)."""

    __tablename__ = "recycling_pickups"
    __table_args__ = (
        Index("ix_recycling_pickups_day", "tenant_id", "day", "status"),
        UniqueConstraint("tenant_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(
        ForeignKey("recycling_households.id", ondelete="CASCADE"), index=True
    )
    zone_id: Mapped[int] = mapped_column(ForeignKey("recycling_zones.id", ondelete="RESTRICT"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    day: Mapped[date] = mapped_column(Date)  # local date of the window
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    materials: Mapped[list[str]]
    estimated_g: Mapped[int] = mapped_column(Integer)
    # requested | planned | collected | not_found | unplanned | cancelled
    status: Mapped[str] = mapped_column(String(12), default="requested")
    picker_id: Mapped[int | None] = mapped_column(
        ForeignKey("recycling_pickers.id", ondelete="SET NULL"), default=None
    )
    sequence: Mapped[int | None] = mapped_column(Integer, default=None)
    eta_start: Mapped[datetime | None] = mapped_column(default=None)
    eta_end: Mapped[datetime | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_key: Mapped[str | None] = mapped_column(String(64), default=None)  # offline retries
    note: Mapped[str | None] = mapped_column(Text, default=None)
    photo: Mapped[str | None] = mapped_column(String(100), default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanRun(TenantMixin, Base):
    """One solve of a day's plan; a re-plan is a new version, the old one stays."""

    __tablename__ = "recycling_plans"
    __table_args__ = (UniqueConstraint("tenant_id", "day", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    pickers: Mapped[list[int]]
    stats: Mapped[dict[str, Any]]  # distance, fairness, unassigned, seconds, candidates
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Absence(TenantMixin, Base):
    """A picker who does not work on a day (ill, dropped out during the day)."""

    __tablename__ = "recycling_absences"
    __table_args__ = (UniqueConstraint("picker_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    picker_id: Mapped[int] = mapped_column(ForeignKey("recycling_pickers.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectedWeight(TenantMixin, Base):
    """What a picker weighed at a pickup, per material."""

    __tablename__ = "recycling_collected"
    __table_args__ = (Index("ix_recycling_collected_picker", "tenant_id", "picker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("recycling_pickups.id", ondelete="CASCADE"))
    picker_id: Mapped[int] = mapped_column(ForeignKey("recycling_pickers.id", ondelete="RESTRICT"))
    material_id: Mapped[int] = mapped_column(ForeignKey("recycling_materials.id"))
    weight_g: Mapped[int] = mapped_column(BigInteger)
    sold_g: Mapped[int] = mapped_column(BigInteger, default=0)
    collected_at: Mapped[datetime]


class Sale(TenantMixin, Base):
    """A sale of a picker or an association to a buyer."""

    __tablename__ = "recycling_sales"
    __table_args__ = (UniqueConstraint("tenant_id", "client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("recycling_buyers.id", ondelete="RESTRICT"))
    picker_id: Mapped[int | None] = mapped_column(
        ForeignKey("recycling_pickers.id", ondelete="RESTRICT"), default=None
    )
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("recycling_associations.id", ondelete="RESTRICT"), default=None
    )
    sold_at: Mapped[datetime]
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    client_key: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(200))


class SaleLine(TenantMixin, Base):
    __tablename__ = "recycling_sale_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(
        ForeignKey("recycling_sales.id", ondelete="CASCADE"), index=True
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("recycling_materials.id"))
    weight_g: Mapped[int] = mapped_column(BigInteger)
    price_minor_per_kg: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class Allocation(TenantMixin, Base):
    """Which collected weight a sale line sold: the trace from a pickup to a buyer, and
    how a sale's money is owed to the pickers who collected it."""

    __tablename__ = "recycling_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_line_id: Mapped[int] = mapped_column(
        ForeignKey("recycling_sale_lines.id", ondelete="CASCADE"), index=True
    )
    collected_id: Mapped[int] = mapped_column(
        ForeignKey("recycling_collected.id", ondelete="RESTRICT"), index=True
    )
    picker_id: Mapped[int] = mapped_column(ForeignKey("recycling_pickers.id"))
    weight_g: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
