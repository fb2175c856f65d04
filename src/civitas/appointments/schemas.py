"""An office as its administrator writes it (YAML), checked before anything is saved:
where it is, its hours and exceptions, its counters, the services it offers and how
booking works there."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from civitas.catalogue.schemas import ClockTime, OpeningHours
from civitas.core.types import Code, I18nShortText, OptionalI18nText, invalid

Letter = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{1,2}$")]
UserName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class DayException(BaseModel):
    """A day that differs from the weekly hours: closed, or open at other times."""

    model_config = ConfigDict(extra="forbid")

    date: date
    closed: bool = False
    opens: ClockTime | None = None
    closes: ClockTime | None = None
    note: OptionalI18nText = Field(default_factory=dict)

    @model_validator(mode="after")
    def _hours(self) -> DayException:
        if self.closed:
            if self.opens or self.closes:
                raise invalid("A closed day has no hours: write closed: true, or opens and closes.")
            return self
        if self.opens is None or self.closes is None:
            raise invalid("Give opens and closes for the day, or closed: true.")
        if self.closes <= self.opens:
            raise invalid("closes must be later than opens (e.g. opens 08:00, closes 16:30).")
        return self


class CounterDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    name: I18nShortText
    services: list[Code] = Field(default_factory=list)  # empty: every service
    appointments: bool = True  # False: walk-ins only (kept free of bookings)


class ServiceDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Code
    minutes: int = Field(ge=5, le=480)
    staff: list[UserName] = Field(default_factory=list)  # empty: anyone at the counters
    letter: Letter = "A"  # its tickets' prefix on the display


class Booking(BaseModel):
    """How booking works at the office."""

    model_config = ConfigDict(extra="forbid")

    slot_minutes: int = Field(default=15, ge=5, le=120)  # the grid start times lie on
    days_ahead: int = Field(default=42, ge=1, le=366)  # how far ahead
    min_notice_minutes: int = Field(default=60, ge=0, le=10080)  # how late
    hold_minutes: int = Field(default=10, ge=2, le=60)  # a chosen time kept while confirming
    no_show_minutes: int = Field(default=15, ge=0, le=240)  # after the start, not checked in
    # a new day's places are released in these stages of its first day, not all at midnight
    release_at: list[ClockTime] = Field(default_factory=lambda: [time(7, 0)], min_length=1)
    max_per_email: int = Field(default=2, ge=1, le=50)  # upcoming appointments at once
    max_per_person: int = Field(default=2, ge=1, le=50)
    max_attempts_per_hour: int = Field(default=10, ge=1, le=1000)  # per client and e-mail
    # after so many days the names and addresses of past appointments are erased (the
    # figures stay: they never held them)
    keep_days: int = Field(default=90, ge=1, le=3650)

    @model_validator(mode="after")
    def _stages(self) -> Booking:
        if len(set(self.release_at)) != len(self.release_at):
            raise invalid("Each release time once, in order (e.g. 07:00, 12:00).")
        self.release_at = sorted(self.release_at)
        return self


class OfficeDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: I18nShortText
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    # the region whose public holidays close the office too (ISO 3166-2 part, e.g. NW)
    holiday_region: str | None = Field(default=None, max_length=10)
    hours: list[OpeningHours] = Field(min_length=1)
    exceptions: list[DayException] = Field(default_factory=list)
    counters: list[CounterDef] = Field(min_length=1)
    services: list[ServiceDef] = Field(min_length=1)
    booking: Booking = Field(default_factory=Booking)
    accessibility: OptionalI18nText = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> OfficeDefinition:
        codes = [c.code for c in self.counters]
        if len(set(codes)) != len(codes):
            raise invalid("Each counter code once.")
        offered = [s.service for s in self.services]
        if len(set(offered)) != len(offered):
            raise invalid("Each service once in services.")
        for counter in self.counters:
            for code in counter.services:
                if code not in offered:
                    raise invalid(
                        "Counter {counter} serves {service}, which is not among the "
                        "office's services.",
                        counter=counter.code,
                        service=code,
                    )
        if not any(c.appointments for c in self.counters):
            raise invalid("At least one counter takes appointments (appointments: true).")
        days = [e.date for e in self.exceptions]
        if len(set(days)) != len(days):
            raise invalid("Each exception's date once.")
        return self
