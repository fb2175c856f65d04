"""GTFS-Realtime in and predictions out: a message is taken whole or refused whole; a
query "as of" a time reads only what was stamped by then; predictions carry their age,
turn stale, then are dropped, and a feed that stops talking never passes for the
timetable; what happened is recorded; Civitas publishes its own TripUpdates."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import func, select
from typer.testing import CliRunner

from civitas.cities.models import City
from civitas.cli import app as civitas_cli
from civitas.core.db import session_scope
from civitas.core.errors import InvalidInput
from civitas.core.tenancy import bind_all_cities
from civitas.transit import arrivals, feeds, realtime
from civitas.transit.models import Observation, RealtimeMessage, TripUpdate
from tests.factories import bearer
from tests.transit.feeds import feed_zip

LIMA = ZoneInfo("America/Lima")
MONDAY = (2026, 12, 7)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(*MONDAY, hh, mm, ss, tzinfo=LIMA)


def city(db, slug="trujillo"):
    return db.scalar(select(City).where(City.slug == slug))


@pytest.fixture
def tt(engine, two_cities):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
    return engine


def message(stamp: datetime, *entities) -> bytes:
    m = rt.FeedMessage()
    m.header.gtfs_realtime_version = "2.0"
    m.header.timestamp = int(stamp.timestamp())
    for build in entities:
        build(m.entity.add())
    return bytes(m.SerializeToString())


def update(trip: str, passed: list[tuple[int, datetime]], *, start_date="20261207", stamp=None):
    def build(entity):
        entity.id = f"tu-{trip}"
        entity.trip_update.trip.trip_id = trip
        if start_date:
            entity.trip_update.trip.start_date = start_date
        if stamp is not None:
            entity.trip_update.timestamp = int(stamp.timestamp())
        for sequence, when in passed:
            stu = entity.trip_update.stop_time_update.add()
            stu.stop_sequence = sequence
            stu.departure.time = int(when.timestamp())

    return build


def vehicle(trip: str, sequence: int, occupancy, stamp: datetime):
    def build(entity):
        entity.id = f"vp-{trip}"
        v = entity.vehicle
        v.trip.trip_id = trip
        v.trip.start_date = "20261207"
        v.vehicle.id = "bus-7"
        v.timestamp = int(stamp.timestamp())
        v.position.latitude = -8.1061
        v.position.longitude = -79.0229
        v.current_stop_sequence = sequence
        v.current_status = rt.VehiclePosition.STOPPED_AT
        v.occupancy_status = occupancy
        v.occupancy_percentage = 85

    return build


def ingest(engine, content, *, now):
    with session_scope(engine) as db:
        return realtime.ingest(db, city(db), "tt", content, via="push", now=now)


def board(engine, stop, when, minutes=60):
    with session_scope(engine) as db:
        return {
            a.run.trip.trip_id: a
            for a in arrivals.arrivals(db, city(db), stop, at=when, minutes=minutes)
        }


def test_a_live_trip_is_predicted_and_ages_then_turns_stale_then_is_dropped(tt):
    # L2-1 left the station a minute late at 06:11
    ingest(tt, message(at(6, 11), update("L2-1", [(1, at(6, 11))])), now=at(6, 11, 5))
    live = board(tt, "tt:D", at(6, 12))["L2-1"]
    assert live.source == "realtime"
    assert live.age_s == 60
    assert live.scheduled == int(at(6, 15).timestamp())
    # the timetable's five minutes to D, from 06:11
    assert live.predicted == int(at(6, 16).timestamp())

    stale = board(tt, "tt:D", at(6, 14, 30))["L2-1"]
    assert (stale.source, stale.age_s, stale.predicted) == ("stale", 210, live.predicted)

    # 16 minutes on: the prediction is dropped, and the silent feed's timetable is
    # marked stale, never passed off as confirmed
    later = board(tt, "tt:D", at(6, 27))["L2-2"]
    assert (later.source, later.predicted, later.age_s) == ("stale", None, None)
    # a stop a trip ends at has no departures
    assert "L2-1" not in board(tt, "tt:E", at(6, 12))


def test_as_of_reads_only_what_was_stamped_by_then(tt):
    ingest(tt, message(at(6, 11), update("L2-1", [(1, at(6, 11))])), now=at(6, 11, 5))
    before = board(tt, "tt:D", at(6, 10, 30))["L2-1"]
    assert (before.source, before.predicted) == ("schedule", None)


def test_a_feed_still_talking_leaves_unreported_trips_on_the_timetable(tt):
    ingest(tt, message(at(6, 11), update("L2-1", [(1, at(6, 11))])), now=at(6, 11, 5))
    ingest(tt, message(at(6, 26), update("L2-1", [(3, at(6, 21))])), now=at(6, 26, 5))
    later = board(tt, "tt:D", at(6, 27))["L2-2"]
    assert (later.source, later.predicted) == ("schedule", None)


def test_what_happened_is_recorded_with_the_crowding(tt):
    stamp = at(6, 11)
    ingest(
        tt,
        message(
            stamp,
            update("L2-1", [(1, at(6, 11))]),
            vehicle("L2-1", 1, rt.VehiclePosition.STANDING_ROOM_ONLY, stamp),
        ),
        now=stamp,
    )
    ingest(tt, message(at(6, 16), update("L2-1", [(2, at(6, 16))])), now=at(6, 16))
    with session_scope(tt) as db:
        bind_all_cities(db)
        rows = {
            o.sequence: o
            for o in db.scalars(select(Observation).where(Observation.trip_id == "L2-1"))
        }
    assert rows[1].delay == 60
    assert rows[2].delay == 60
    assert rows[1].occupancy == rt.VehiclePosition.STANDING_ROOM_ONLY
    assert rows[2].occupancy is None
    shown = board(tt, "tt:D", at(6, 11, 30))["L2-1"]
    assert (shown.occupancy, shown.occupancy_source) == ("STANDING_ROOM_ONLY", "vehicle")


@pytest.mark.parametrize(
    ("content", "where"),
    [
        pytest.param(b"\x08\x96\x01 not protobuf", None, id="not-protobuf"),
        pytest.param(
            message(at(6, 11), update("NO-SUCH-TRIP", [(1, at(6, 11))])),
            "entity tu-NO-SUCH-TRIP: trip_update.trip.trip_id",
            id="unknown-trip",
        ),
        pytest.param(
            message(at(6, 30), update("L2-1", [(1, at(6, 11))])),
            "header.timestamp",
            id="from-the-future",
        ),
        pytest.param(
            message(at(6, 11), update("L2-1", [(9, at(6, 11))])),
            "entity tu-L2-1: trip_update.stop_time_update[0]",
            id="unknown-stop-sequence",
        ),
    ],
)
def test_a_bad_message_is_refused_whole_and_nothing_is_kept(tt, content, where):
    good = update("L2-2", [(1, at(6, 30))])
    mixed = content if where is None or "header" in where else None
    if mixed is None:  # a good entity beside the bad one: neither is kept
        parsed = rt.FeedMessage.FromString(content)
        good(parsed.entity.add())
        mixed = parsed.SerializeToString()
    with pytest.raises(InvalidInput) as refused:
        ingest(tt, mixed, now=at(6, 12))
    if where is not None:
        assert where in [p.location for p in refused.value.problems]
    with session_scope(tt) as db:
        bind_all_cities(db)
        assert db.scalar(select(func.count()).select_from(TripUpdate)) == 0
        assert db.scalar(select(func.count()).select_from(RealtimeMessage)) == 0


def test_the_push_endpoint_takes_an_operators_message_and_publishes_predictions(tt, client):
    url = "/api/v1/cities/trujillo/transit/realtime/tt"
    content = message(datetime.now(LIMA) - timedelta(seconds=5))
    assert client.post(url, content=content).status_code == 401
    caseworker = bearer(client, "trujillo", "a-caseworker")
    assert client.post(url, content=content, headers=caseworker).status_code == 403
    operator = bearer(client, "trujillo", "a-transitoperator")
    done = client.post(url, content=content, headers=operator)
    assert done.status_code == 200, done.text
    refused = client.post(url, content=b"garbage", headers=operator)
    assert refused.status_code == 400
    assert "GTFS-Realtime" in refused.json()["error"]["message"]
    # Civitas's own feed parses as GTFS-Realtime
    out = client.get("/api/v1/cities/trujillo/transit/gtfs-rt/trip-updates.pb")
    assert out.status_code == 200
    assert out.headers["content-type"] == "application/x-protobuf"
    assert rt.FeedMessage.FromString(out.content).header.gtfs_realtime_version == "2.0"


def test_published_trip_updates_carry_the_prediction(tt):
    from civitas.transit import publish

    ingest(tt, message(at(6, 11), update("L2-1", [(1, at(6, 11))])), now=at(6, 11, 5))
    with session_scope(tt) as db:
        out = rt.FeedMessage.FromString(publish.trip_updates(db, city(db), now=at(6, 12)))
    (entity,) = out.entity
    assert entity.trip_update.trip.trip_id == "L2-1"
    last = entity.trip_update.stop_time_update[-1]
    assert (last.stop_id, last.departure.time) == ("E", int(at(6, 21).timestamp()))


def test_the_command_ingests_a_file(tt, tmp_path):
    path = tmp_path / "tu.pb"
    path.write_bytes(message(datetime.now(LIMA) - timedelta(seconds=5)))
    runner = CliRunner()
    done = runner.invoke(
        civitas_cli, ["transit", "ingest-rt", str(path), "--city", "trujillo", "--feed", "tt"]
    )
    assert done.exit_code == 0, done.output
    assert "kind=empty" in done.output
    path.write_bytes(b"nonsense")
    refused = runner.invoke(
        civitas_cli, ["transit", "ingest-rt", str(path), "--city", "trujillo", "--feed", "tt"]
    )
    assert refused.exit_code == 1
    assert "not a GTFS-Realtime message" in refused.output
