"""Importing static GTFS: real feeds import; a feed is checked against the reference and
refused whole, each problem naming file, line and field; importing a feed name again
replaces it in one transaction; times past midnight and empty intermediate times."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from civitas.cities.models import City
from civitas.cli import app as civitas_cli
from civitas.core.db import session_scope
from civitas.core.errors import InvalidInput
from civitas.transit import feeds
from civitas.transit.models import Feed, Frequency, Stop, StopTime, Trip
from tests.transit.feeds import REAL, feed_zip, real


def city(db, slug="trujillo"):
    return db.scalar(select(City).where(City.slug == slug))


def count(db, model, feed_id):
    return db.scalar(select(func.count()).select_from(model).where(model.feed_id == feed_id))


def test_the_real_feeds_import(engine, two_cities):
    with session_scope(engine) as db:
        trujillo = city(db)
        cairns = feeds.import_feed(
            db, trujillo, "cairns", content=real("cairns_gtfs.zip"), filename="cairns_gtfs.zip"
        )
        caltrain = feeds.import_feed(
            db,
            trujillo,
            "caltrain",
            content=real("caltrain_2017-07-24.zip"),
            filename="caltrain.zip",
        )
        sample = feeds.import_feed(
            db, trujillo, "sample", content=real("sample_gtfs.zip"), filename="sample_gtfs.zip"
        )
    assert cairns.counts["stop_times"] == 37790
    assert cairns.counts["trips"] == 1339
    assert cairns.counts["shapes"] == 54
    assert caltrain.counts["service_dates"] == 642
    assert sample.counts["frequencies"] == 11
    with session_scope(engine) as db:
        trujillo = city(db)
        feed = feeds.feed_named(db, trujillo, "caltrain")
        assert feed.timezone == "America/Los_Angeles"
        # this Caltrain feed names platforms (NB, SB) without parent stations
        platforms = {
            s.platform_code for s in db.scalars(select(Stop).where(Stop.feed_id == feed.id))
        }
        assert platforms == {"NB", "SB"}


def test_times_past_midnight_and_empty_times_interpolated(engine, two_cities):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
    with session_scope(engine) as db:
        feed = feeds.feed_named(db, city(db), "tt")
        calls = {
            (s.trip_id, s.stop_id): s
            for s in db.scalars(select(StopTime).where(StopTime.feed_id == feed.id))
        }
        assert calls["L1-N", "C"].arrival == 24 * 3600 + 120  # 24:02:00, the day before's
        b = calls["L1-F", "B"]
        assert not b.timepoint
        # between 06:00:00 at A and 06:06:00 at S1, in proportion to the distance
        assert 6 * 3600 < b.arrival < 6 * 3600 + 360
        assert b.arrival == b.departure
        frequency = db.scalar(select(Frequency).where(Frequency.feed_id == feed.id))
        assert (frequency.start, frequency.end, frequency.headway, frequency.exact) == (
            21600,
            25200,
            600,
            True,
        )
        station = db.scalar(select(Stop).where(Stop.feed_id == feed.id, Stop.stop_id == "S1"))
        assert station.parent_station == "S"
        assert str(feed.valid_from) == "2026-01-01"
        assert str(feed.valid_to) == "2027-12-31"


def test_a_feed_zipped_with_its_folder_imports(engine, two_cities):
    with session_scope(engine) as db:
        result = feeds.import_feed(
            db, city(db), "tt", content=feed_zip(folder="gtfs/"), filename="tt.zip"
        )
    assert result.counts["stops"] == 8


def test_importing_a_name_again_replaces_the_feed_whole(engine, two_cities):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
        feeds.import_feed(db, city(db), "other", content=feed_zip(), filename="o.zip")
    fewer = feed_zip(
        {
            "trips.txt": "route_id,service_id,trip_id\nL2,WK,L2-1\n",
            "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "L2-1,06:10:00,06:10:00,S2,1\nL2-1,06:20:00,06:20:00,E,2\n",
            "frequencies.txt": None,
            "transfers.txt": None,
        }
    )
    with session_scope(engine) as db:
        result = feeds.import_feed(db, city(db), "tt", content=fewer, filename="tt2.zip")
    assert result.version == 2
    with session_scope(engine) as db:
        tt = feeds.feed_named(db, city(db), "tt")
        other = feeds.feed_named(db, city(db), "other")
        assert (count(db, Trip, tt.id), count(db, StopTime, tt.id)) == (1, 2)
        assert count(db, Frequency, tt.id) == 0
        assert (tt.version, tt.source) == (2, "tt2.zip")
        # the other feed of the city is untouched
        assert (count(db, Trip, other.id), other.version) == (5, 1)


BAD_FEEDS = [
    pytest.param({"stops.txt": None}, "stops.txt", id="missing-file"),
    pytest.param(
        {"calendar.txt": None, "calendar_dates.txt": None}, "calendar.txt", id="no-calendar"
    ),
    pytest.param(
        {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id\nL1-F,6:00:00,,A\n"},
        "stop_times.txt line 1: stop_sequence",
        id="missing-column",
    ),
    pytest.param(
        {
            "trips.txt": "route_id,service_id,trip_id\nL1,WK,L1-F\nL1,WK,L1-N\nL9,WK,L2-1\n"
            "L2,WK,L2-2\nL2,SAT,L2-S\n"
        },
        "trips.txt line 4: route_id",
        id="unknown-route",
    ),
    pytest.param(
        {
            "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "L1-F,06:00:00,06:00:00,A,1\nL1-F,06:12:00,06:12:00,ZZ,2\n"
        },
        "stop_times.txt line 3: stop_id",
        id="unknown-stop",
    ),
    pytest.param(
        {
            "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "L1-F,6h00,06:00:00,A,1\nL1-F,06:12:00,06:12:00,C,2\n"
        },
        "stop_times.txt line 2: arrival_time",
        id="bad-time",
    ),
    pytest.param(
        {
            "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "L1-F,06:10:00,06:10:00,A,1\nL1-F,06:05:00,06:05:00,C,2\n"
        },
        "stop_times.txt line 3: arrival_time",
        id="times-backwards",
    ),
    pytest.param(
        {
            "frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
            "L1-F,06:00:00,07:00:00,600\nL1-F,06:30:00,08:00:00,900\n"
        },
        "frequencies.txt line 3: start_time",
        id="overlapping-frequencies",
    ),
    pytest.param(
        {
            "agency.txt": "agency_name,agency_url,agency_timezone\n"
            "TT,https://t.example,America/Trujillo\n"
        },
        "agency.txt line 2: agency_timezone",
        id="unknown-time-zone",
    ),
    pytest.param(
        {"stops.txt": "stop_id,stop_name\nA,x\n"},
        "stops.txt line 2: stop_lat",
        id="stop-without-position",
    ),
]


@pytest.mark.parametrize(("changes", "where"), BAD_FEEDS)
def test_a_broken_feed_is_refused_naming_file_line_and_field_and_nothing_changes(
    engine, two_cities, changes, where
):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
    with session_scope(engine) as db, pytest.raises(InvalidInput) as refused:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(changes), filename="bad.zip")
    locations = [p.location for p in refused.value.problems]
    assert any(loc.startswith(where) for loc in locations), locations
    with session_scope(engine) as db:
        tt = feeds.feed_named(db, city(db), "tt")
        assert (tt.version, tt.source) == (1, "tt.zip")
        assert count(db, StopTime, tt.id) == 16


def test_not_a_zip_and_a_bad_name_are_refused(engine, two_cities):
    with session_scope(engine) as db, pytest.raises(InvalidInput) as refused:
        feeds.import_feed(db, city(db), "tt", content=b"stop_id\n", filename="x.txt")
    assert "ZIP" in refused.value.text("en")
    with session_scope(engine) as db, pytest.raises(InvalidInput):
        feeds.import_feed(db, city(db), "a:b", content=feed_zip(), filename="x.zip")
    with session_scope(engine) as db:
        assert db.scalar(select(func.count()).select_from(Feed)) is not None
        assert feeds.feeds_of(db, city(db)) == []


def test_the_command_imports_and_names_each_problem(engine, two_cities, tmp_path):
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(feed_zip())
    bad.write_bytes(feed_zip({"trips.txt": "route_id,service_id,trip_id\nL9,WK,L1-F\n"}))
    runner = CliRunner()
    done = runner.invoke(
        civitas_cli, ["transit", "import-gtfs", str(good), "--city", "trujillo", "--feed", "tt"]
    )
    assert done.exit_code == 0, done.output
    assert "feed=tt version=1" in done.output
    assert "stop_times=16" in done.output
    refused = runner.invoke(
        civitas_cli, ["transit", "import-gtfs", str(bad), "--city", "trujillo", "--feed", "tt"]
    )
    assert refused.exit_code == 1
    assert "trips.txt line 2: route_id: routes.txt has no route_id L9." in refused.output
    assert REAL.exists()


def test_the_operators_realtime_addresses_are_set_by_command(engine, two_cities):
    with session_scope(engine) as db:
        feeds.import_feed(db, city(db), "tt", content=feed_zip(), filename="tt.zip")
    runner = CliRunner()
    base = ["transit", "set-realtime", "--city", "trujillo", "--feed", "tt"]
    bad = runner.invoke(civitas_cli, [*base, "--trip-updates", "ftp://operator/tu.pb"])
    assert bad.exit_code == 1
    assert "trip_updates: Give an http or https address" in bad.output
    good = runner.invoke(
        civitas_cli,
        [*base, "--trip-updates", "https://operator.example/tu.pb", "--every", "20"],
    )
    assert good.exit_code == 0, good.output
    with session_scope(engine) as db:
        feed = feeds.feed_named(db, city(db), "tt")
        assert (feed.trip_updates_url, feed.vehicle_positions_url, feed.poll_seconds) == (
            "https://operator.example/tu.pb",
            None,
            20,
        )
