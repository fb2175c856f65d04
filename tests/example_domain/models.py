"""The notice board's one table: notices a city pins up (tenant-scoped like any other)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from civitas.core.db import Base
from civitas.core.tenancy import TenantMixin


class Notice(TenantMixin, Base):
    __tablename__ = "example_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
