"""Crowding on journeys: how full each ride is expected to be (the vehicle's own word
while it is live, else what is usual on that route, at that stop and hour), and the
journey that avoids the full ones for riders who prefer emptier vehicles (a criterion
riders of OpenTripPlanner and OneBusAway ask for)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.transit import predict, raptor
from civitas.transit.feeds import feeds_of, settings_of
from civitas.transit.models import VehiclePosition
from civitas.transit.realtime import OCCUPANCY
from civitas.transit.timetable import Day, Network, Run

CROWDED = 3  # STANDING_ROOM_ONLY and fuller
SLACK_S = 30 * 60  # an emptier journey may arrive this much later


class Expect:
    """Expected occupancy of rides, reading each feed's model and live vehicles once."""

    def __init__(self, db: Session, city: City, net: Network, now: datetime | None = None):
        self.db, self.city, self.net = db, city, net
        self.now = now or utcnow()
        self.feeds = {f.name: f for f in feeds_of(db, city)}
        self.models: dict[str, predict.Model] = {}
        self.drop = timedelta(seconds=settings_of(db, city).drop_after_s)
        self._live: dict[tuple[int, str, object], int | None] | None = None

    def _vehicles(self) -> dict[tuple[int, str, object], int | None]:
        if self._live is None:
            self._live = {}
            for row in self.db.scalars(
                select(VehiclePosition)
                .where(
                    VehiclePosition.at <= self.now,
                    VehiclePosition.at > self.now - self.drop,
                    VehiclePosition.trip_id.is_not(None),
                )
                .order_by(VehiclePosition.at.desc())
            ):
                self._live.setdefault(
                    (row.feed_id, row.trip_id or "", row.service_date), row.occupancy
                )
        return self._live

    def level(self, run: Run, position: int) -> int | None:
        """OccupancyStatus expected when boarding ``run`` at ``position``."""
        trip = run.trip
        feed = self.feeds.get(trip.feed)
        if feed is None:
            return None
        live = self._vehicles().get((feed.id, trip.trip_id, run.service_date))
        if live is not None:
            return live
        if trip.feed not in self.models:
            self.models[trip.feed] = predict.model_of(self.db, self.city, feed)
        zone = self.net.feeds[trip.feed].zone
        hour = datetime.fromtimestamp(run.departures[position], UTC).astimezone(zone).hour
        usual = self.models[trip.feed].usual_crowding(
            self.net.routes[trip.route].route_id,
            self.net.stops[trip.stops[position]].stop_id,
            predict.day_type(run.service_date),
            hour,
        )
        return None if usual is None else min(round(usual), 6)

    def name(self, run: Run, position: int) -> str | None:
        found = self.level(run, position)
        return None if found is None else OCCUPANCY.get(found)


def less_crowded(
    expect: Expect,
    net: Network,
    day: Day,
    query: raptor.Query,
    journeys: list[raptor.Journey],
) -> raptor.Journey | None:
    """The earliest journey whose rides are all expected below standing room, when the
    planned ones have a crowded ride and it arrives at most 30 minutes later."""

    def crowded(journey: raptor.Journey) -> set[str]:
        return {
            leg.run.trip.key
            for leg in journey.rides
            if leg.run is not None
            and leg.board is not None
            and (expect.level(leg.run, leg.board) or 0) >= CROWDED
        }

    avoid: set[str] = set()
    for journey in journeys:
        avoid |= crowded(journey)
    if not avoid:
        return None
    best = min(j.arrival for j in journeys) if not query.arrive_by else None
    for _ in range(4):
        query.avoid = frozenset(avoid)
        found = raptor.plan(net, day, query)
        query.avoid = frozenset()
        if not found:
            return None
        calm = [j for j in found if not crowded(j)]
        if calm:
            pick = calm[0]
            if best is not None and pick.arrival > best + SLACK_S:
                return None
            return pick
        for journey in found:
            avoid |= crowded(journey)
    return None
