"""Small GTFS feeds for the tests, written as a city's operator would: a base network
that each test can change file by file, and the real feeds of ../shared/data/transit."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

REAL = Path(__file__).resolve().parent / "data"  # copies of ../shared/data/transit

# Trujillo, around the Plaza de Armas. Line 1 runs A → B → Station (platform 1) → C,
# every 10 minutes 06:00–07:00 (exact_times 1) and once at 23:50 (past midnight).
# Line 2 runs Station (platform 2) → D → E. Changing at the station takes 2 minutes.
BASE: dict[str, str] = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
    "TT,Transportes Trujillo,https://transportes.example,America/Lima,es\n",
    "stops.txt": "stop_id,stop_code,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
    "A,101,Plaza de Armas,-8.1116,-79.0288,0,\n"
    "B,102,Jr. Pizarro,-8.1090,-79.0260,0,\n"
    "S,,Terminal Central,-8.1060,-79.0230,1,\n"
    "S1,103,Terminal Central andén 1,-8.1060,-79.0231,0,S\n"
    "S2,104,Terminal Central andén 2,-8.1061,-79.0229,0,S\n"
    "C,105,Av. España,-8.1030,-79.0200,0,\n"
    "D,106,Mercado Central,-8.1000,-79.0260,0,\n"
    "E,107,Hospital Belén,-8.0970,-79.0290,0,\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type,route_color\n"
    "L1,TT,1,Plaza – Av. España,3,1A6FB0\n"
    "L2,TT,2,Terminal – Hospital,3,B0421A\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign,direction_id,shape_id\n"
    "L1,WK,L1-F,Av. España,0,SH1\n"
    "L1,WK,L1-N,Av. España,0,SH1\n"
    "L2,WK,L2-1,Hospital Belén,0,\n"
    "L2,WK,L2-2,Hospital Belén,0,\n"
    "L2,SAT,L2-S,Hospital Belén,0,\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint\n"
    "L1-F,06:00:00,06:00:00,A,1,1\n"
    "L1-F,,,B,2,0\n"
    "L1-F,06:06:00,06:07:00,S1,3,1\n"
    "L1-F,06:12:00,06:12:00,C,4,1\n"
    "L1-N,23:50:00,23:50:00,A,1,1\n"
    "L1-N,23:53:00,23:53:00,B,2,1\n"
    "L1-N,23:56:00,23:57:00,S1,3,1\n"
    "L1-N,24:02:00,24:02:00,C,4,1\n"
    "L2-1,06:10:00,06:10:00,S2,1,1\n"
    "L2-1,06:15:00,06:15:00,D,2,1\n"
    "L2-1,06:20:00,06:20:00,E,3,1\n"
    "L2-2,06:30:00,06:30:00,S2,1,1\n"
    "L2-2,06:35:00,06:35:00,D,2,1\n"
    "L2-2,06:40:00,06:40:00,E,3,1\n"
    "L2-S,09:00:00,09:00:00,S2,1,1\n"
    "L2-S,09:05:00,09:05:00,E,3,1\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
    "start_date,end_date\n"
    "WK,1,1,1,1,1,0,0,20260101,20271231\n"
    "SAT,0,0,0,0,0,1,0,20260101,20271231\n",
    "calendar_dates.txt": "service_id,date,exception_type\n"
    "WK,20261208,2\n"  # a holiday: no weekday service
    "SAT,20261208,1\n",
    "frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
    "L1-F,06:00:00,07:00:00,600,1\n",
    "shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
    "SH1,-8.1116,-79.0288,1\n"
    "SH1,-8.1090,-79.0260,2\n"
    "SH1,-8.1060,-79.0231,3\n"
    "SH1,-8.1030,-79.0200,4\n",
    "transfers.txt": "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nS1,S2,2,120\n",
}


def feed_zip(changes: dict[str, str | None] | None = None, *, folder: str = "") -> bytes:
    """The base feed as a .zip, with files replaced (a text) or left out (None)."""
    files = {**BASE, **(changes or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            if text is not None:
                archive.writestr(folder + name, text)
    return out.getvalue()


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


def always_zip(timezone: str = "America/Lima") -> bytes:
    """The base feed running every day, line 1 every 10 minutes around the clock (so a
    stop's page has departures whenever a test runs)."""
    agency = BASE["agency.txt"].replace("America/Lima", timezone)
    return feed_zip(
        {
            "agency.txt": agency,
            "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,"
            "sunday,start_date,end_date\n"
            "WK,1,1,1,1,1,1,1,20240101,20301231\n"
            "SAT,0,0,0,0,0,1,0,20240101,20301231\n",
            "calendar_dates.txt": None,
            "frequencies.txt": "trip_id,start_time,end_time,headway_secs,exact_times\n"
            "L1-F,00:00:00,24:00:00,600,1\n",
        }
    )
