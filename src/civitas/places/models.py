"""The address register and the base map of a city."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base, utcnow
from civitas.core.tenancy import TenantMixin


class Address(TenantMixin, Base):
    """One address of the city's register: public data (a street, a number, a point),
    never a person's. ``ref`` is the city's own identifier, kept across imports; it is
    what Open311's ``address_id`` names."""

    __tablename__ = "places_addresses"
    __table_args__ = (UniqueConstraint("tenant_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(20), default=None)
    district: Mapped[str | None] = mapped_column(String(100), default=None)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class PlacesSettings(TenantMixin, Base):
    """Per city: the register's version (every import counts it up, so each process knows
    when its search index is stale) and where the base map comes from."""

    __tablename__ = "places_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_version: Mapped[int] = mapped_column(Integer, default=0)
    register_count: Mapped[int] = mapped_column(Integer, default=0)
    register_source: Mapped[str | None] = mapped_column(String(200), default=None)
    register_imported_at: Mapped[datetime | None] = mapped_column(default=None)
    # "drawn" (from the city's own data), "pmtiles" (a file served by Civitas) or "url"
    basemap: Mapped[str] = mapped_column(String(10), default="drawn")
    basemap_file: Mapped[str | None] = mapped_column(String(200), default=None)
    basemap_url: Mapped[str | None] = mapped_column(String(500), default=None)
    basemap_attribution: Mapped[str | None] = mapped_column(String(300), default=None)
    basemap_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
