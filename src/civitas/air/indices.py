"""Air-quality indices as tables: each scale is its official breakpoint table, and one
function reads any of them. Every published index names its scale and version.

* ``us-epa-2024``: the US AQI after EPA's 2024 revision of the PM2.5 breakpoints
  (40 CFR 58 appendix G; Technical Assistance Document, May 2024). The concentration is
  truncated (PM2.5 to 0.1 µg/m³, PM10 to 1 µg/m³), the index is the linear
  interpolation I = (I_hi − I_lo)/(C_hi − C_lo)·(C − C_lo) + I_lo rounded to the nearest
  integer; above the last breakpoint the last segment is extended.
* ``inca-pe``: Peru's Índice de Calidad del Aire (RM 181-2016-MINAM): I = C·100/S, with
  S = 25 µg/m³ for PM2.5 and 150 µg/m³ for PM10; bands good 0–50, moderate 51–100, bad
  101 to the care threshold (VUEC: 125 µg/m³ PM2.5, 250 µg/m³ PM10, index 500 and 167)
  and above it. The concentration is rounded as the table writes it (PM2.5 to 0.1,
  PM10 to 1), the index is rounded up to a whole number, so 12.6 µg/m³ (50.4) is 51,
  "moderate", as the table says.
* ``eaqi``: the European Air Quality Index of the EEA (six levels, PM as the 24-hour
  running mean): PM2.5 0–10–20–25–50–75–800, PM10 0–20–40–50–100–150–1200 µg/m³, each
  upper limit inside its level; above the last limit a value is discarded as erroneous.
* ``uba``: Germany's air-quality index of the Umweltbundesamt (LQI) with its thresholds
  derived from the WHO 2021 guidelines, in whole µg/m³: PM2.5 0–5, 6–15, 16–30, 31–50,
  over 50; PM10 0–9, 10–27, 28–54, 55–90, over 90. The concentration is rounded to a
  whole number (half up) first.

EAQI and UBA are class indices: their "index" is the level's number (1 is the best).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from civitas.core.i18n import N_

POLLUTANTS = ("pm25", "pm10")
POLLUTANT_LABELS = {"pm25": "PM2.5", "pm10": "PM10"}


@dataclass(frozen=True)
class Band:
    category: str  # a stable code: "good", "unhealthy_sensitive" …
    label: str  # N_() message id
    colour: str  # the scale's own colour for the band
    level: int  # 1 … 6: which health advice applies (see ADVICE)
    upper: float | None  # the band's highest concentration (None: open above)
    index_low: int = 0  # linear and ratio scales: the index range of the band
    index_high: int = 0


@dataclass(frozen=True)
class Scale:
    code: str
    title: str  # N_()
    version: str
    source: str
    kind: str  # "linear" (US), "ratio" (INCA), "class" (EAQI, UBA)
    bands: dict[str, tuple[Band, ...]]
    digits: dict[str, int]  # how the concentration is cut (linear) or rounded (others)
    standard: dict[str, float] | None = None  # ratio scales: S of I = C·100/S
    maximum: dict[str, float] | None = None  # class scales: above it a value is refused


@dataclass(frozen=True)
class IndexValue:
    scale: str
    pollutant: str
    value: float  # the concentration as given
    index: int
    category: str
    label: str  # N_() message id (translate for the reader)
    colour: str
    level: int


class UnknownScaleError(ValueError):
    pass


class OutOfScaleError(ValueError):
    pass


US_COLOURS = ("#00e400", "#ffff00", "#ff7e00", "#ff0000", "#8f3f97", "#7e0023")
_US_CATS = (
    ("good", N_("Good")),
    ("moderate", N_("Moderate")),
    ("unhealthy_sensitive", N_("Unhealthy for sensitive groups")),
    ("unhealthy", N_("Unhealthy")),
    ("very_unhealthy", N_("Very unhealthy")),
    ("hazardous", N_("Hazardous")),
)
_US_INDEX = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))


def _us(uppers: tuple[float, ...]) -> tuple[Band, ...]:
    return tuple(
        Band(code, label, US_COLOURS[i], i + 1, uppers[i], _US_INDEX[i][0], _US_INDEX[i][1])
        for i, (code, label) in enumerate(_US_CATS)
    )


US_EPA_2024 = Scale(
    code="us-epa-2024",
    title=N_("US AQI (EPA, 2024)"),
    version="EPA 2024 (PM2.5 breakpoints of 7 February 2024)",
    source="40 CFR Part 58 Appendix G; EPA Technical Assistance Document for the "
    "Reporting of Daily Air Quality, EPA-454/B-24-002 (May 2024)",
    kind="linear",
    bands={
        # the hazardous band runs to 325.4 µg/m³ (PM2.5) and 604 µg/m³ (PM10) for 500
        "pm25": _us((9.0, 35.4, 55.4, 125.4, 225.4, 325.4)),
        "pm10": _us((54, 154, 254, 354, 424, 604)),
    },
    digits={"pm25": 1, "pm10": 0},
)

INCA_COLOURS = ("#04ff00", "#ffff00", "#f79645", "#ff0000")
INCA_PE = Scale(
    code="inca-pe",
    title=N_("INCA (Peru)"),
    version="RM 181-2016-MINAM",
    source="Resolución Ministerial N.° 181-2016-MINAM, Índice de Calidad del Aire (INCA)",
    kind="ratio",
    bands={
        "pm25": (
            Band("good", N_("Good"), INCA_COLOURS[0], 1, 12.5, 0, 50),
            Band("moderate", N_("Moderate"), INCA_COLOURS[1], 2, 25.0, 51, 100),
            Band("bad", N_("Bad"), INCA_COLOURS[2], 4, 125.0, 101, 500),
            Band("care", N_("Above the care threshold"), INCA_COLOURS[3], 5, None, 501, 0),
        ),
        "pm10": (
            Band("good", N_("Good"), INCA_COLOURS[0], 1, 75, 0, 50),
            Band("moderate", N_("Moderate"), INCA_COLOURS[1], 2, 150, 51, 100),
            Band("bad", N_("Bad"), INCA_COLOURS[2], 4, 250, 101, 167),
            Band("care", N_("Above the care threshold"), INCA_COLOURS[3], 5, None, 168, 0),
        ),
    },
    digits={"pm25": 1, "pm10": 0},
    standard={"pm25": 25.0, "pm10": 150.0},
)

EAQI_COLOURS = ("#50f0e6", "#50ccaa", "#f0e641", "#ff5050", "#960032", "#7d2181")
_EAQI_CATS = (
    ("good", N_("Good"), 1),
    ("fair", N_("Fair"), 2),
    ("moderate", N_("Moderate"), 3),
    ("poor", N_("Poor"), 4),
    ("very_poor", N_("Very poor"), 5),
    ("extremely_poor", N_("Extremely poor"), 6),
)


def _classes(
    cats: tuple[tuple[str, str, int], ...], colours: tuple[str, ...], uppers: tuple[float, ...]
) -> tuple[Band, ...]:
    return tuple(
        Band(code, label, colours[i], level, uppers[i], i + 1, i + 1)
        for i, (code, label, level) in enumerate(cats)
    )


EAQI = Scale(
    code="eaqi",
    title=N_("European Air Quality Index"),
    version="EEA, six levels (2017)",
    source="European Environment Agency, European Air Quality Index "
    "(airindex.eea.europa.eu); PM as the 24-hour running mean",
    kind="class",
    bands={
        "pm25": _classes(_EAQI_CATS, EAQI_COLOURS, (10, 20, 25, 50, 75, 800)),
        "pm10": _classes(_EAQI_CATS, EAQI_COLOURS, (20, 40, 50, 100, 150, 1200)),
    },
    digits={"pm25": -1, "pm10": -1},  # not rounded
    maximum={"pm25": 800, "pm10": 1200},
)

UBA_COLOURS = ("#50ccaa", "#50f0e6", "#f0e641", "#ff5050", "#960032")
_UBA_CATS = (
    ("very_good", N_("Very good"), 1),
    ("good", N_("Good"), 1),
    ("moderate", N_("Moderate"), 2),
    ("poor", N_("Poor"), 4),
    ("very_poor", N_("Very poor"), 5),
)
UBA = Scale(
    code="uba",
    title=N_("Air quality index (UBA, Germany)"),
    version="UBA LQI, thresholds from the WHO 2021 guidelines",
    source="Umweltbundesamt, Luftqualitätsindex (umweltbundesamt.de)",
    kind="class",
    bands={
        "pm25": _classes(_UBA_CATS, UBA_COLOURS, (5, 15, 30, 50, math.inf)),
        "pm10": _classes(_UBA_CATS, UBA_COLOURS, (9, 27, 54, 90, math.inf)),
    },
    digits={"pm25": 0, "pm10": 0},
)

SCALES: dict[str, Scale] = {s.code: s for s in (US_EPA_2024, INCA_PE, EAQI, UBA)}


def scale(code: str) -> Scale:
    found = SCALES.get(code)
    if found is None:
        raise UnknownScaleError(code)
    return found


def _cut(value: float, digits: int, mode: str) -> float:
    if digits < 0:
        return value
    quantum = Decimal(1).scaleb(-digits)
    rounding = ROUND_DOWN if mode == "truncate" else ROUND_HALF_UP
    return float(Decimal(repr(value)).quantize(quantum, rounding=rounding))


def compute(scale_code: str, pollutant: str, value: float) -> IndexValue:
    """The index of one concentration (µg/m³). Raises UnknownScaleError, OutOfScaleError (a
    pollutant the scale does not cover, a negative value, a value above a class scale's
    last limit) or nothing."""
    found = scale(scale_code)
    if pollutant not in found.bands:
        raise OutOfScaleError(f"{scale_code} has no {pollutant}")
    if not math.isfinite(value) or value < 0:
        raise OutOfScaleError(f"{value} is not a concentration")
    bands = found.bands[pollutant]
    digits = found.digits[pollutant]
    if found.kind == "linear":
        c = _cut(value, digits, "truncate")
        lower = 0.0
        band = bands[-1]
        for candidate in bands:
            assert candidate.upper is not None
            if c <= candidate.upper:
                band = candidate
                break
            lower = candidate.upper + (0.1 if digits == 1 else 1)
        else:  # beyond the table: the last segment, extended
            lower = bands[-2].upper + (0.1 if digits == 1 else 1)  # type: ignore[operator]
        assert band.upper is not None
        raw = (band.index_high - band.index_low) / (band.upper - lower) * (c - lower)
        index = math.floor(raw + band.index_low + 0.5)
        if index > band.index_high and band is not bands[-1]:  # pragma: no cover - table
            index = band.index_high
    elif found.kind == "ratio":
        assert found.standard is not None
        c = _cut(value, digits, "round")
        exact = c * 100 / found.standard[pollutant]
        index = math.ceil(exact - 1e-9)
        band = bands[-1]
        for candidate in bands:
            if candidate.upper is not None and c <= candidate.upper:
                band = candidate
                break
    else:
        if found.maximum and value > found.maximum[pollutant]:
            raise OutOfScaleError(f"{value} is above the scale's last limit")
        c = _cut(value, digits, "round")
        band = next(b for b in bands if b.upper is not None and c <= b.upper)
        index = band.index_low
    return IndexValue(
        scale_code, pollutant, value, index, band.category, band.label, band.colour, band.level
    )


# Health advice by level (each scale's bands map onto these): the same words on every
# scale, in the city's languages.
ADVICE = {
    1: N_("Air quality is good. Enjoy your time outdoors."),
    2: N_(
        "Air quality is acceptable. People who are unusually sensitive to particles "
        "should consider fewer long or strenuous activities outdoors."
    ),
    3: N_(
        "Sensitive groups (people with heart or lung disease, older adults, children, "
        "pregnant women) should reduce long or strenuous activities outdoors."
    ),
    4: N_(
        "Everyone should reduce long or strenuous activities outdoors; sensitive groups "
        "should avoid them and keep windows closed while the level lasts."
    ),
    5: N_(
        "Everyone should avoid strenuous activities outdoors. Sensitive groups should stay "
        "indoors with windows closed and follow their doctor's advice."
    ),
    6: N_(
        "Health alert: everyone should stay indoors with windows closed and avoid any "
        "physical activity outdoors."
    ),
}
