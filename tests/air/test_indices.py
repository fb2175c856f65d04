"""The index modules against a golden table read from the official tables, at every
boundary and either side of it; what no scale can answer is refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from civitas.air import indices

GOLDEN = Path(__file__).with_name("golden_indices.csv")


def golden() -> list[tuple[str, str, float, int, str]]:
    lines = [line for line in GOLDEN.read_text().splitlines() if line and not line.startswith("#")]
    return [(s, p, float(v), int(i), c) for s, p, v, i, c in csv.reader(lines)]


@pytest.mark.parametrize(("scale", "pollutant", "value", "index", "category"), golden())
def test_golden_table(scale, pollutant, value, index, category):
    found = indices.compute(scale, pollutant, value)
    assert (found.index, found.category) == (index, category)


def test_every_band_of_every_scale_is_in_the_golden_table():
    covered = {(s, p, c) for s, p, _, _, c in golden()}
    for code, scale in indices.SCALES.items():
        for pollutant, bands in scale.bands.items():
            for band in bands:
                assert (code, pollutant, band.category) in covered, (code, pollutant, band.category)


def test_beyond_the_tables():
    # the US index goes on with its last segment above 325.4 µg/m3 (EPA's TAD)
    assert indices.compute("us-epa-2024", "pm25", 500.0).index == 848
    # INCA is a ratio: no upper limit
    assert indices.compute("inca-pe", "pm25", 300).index == 1200
    # the EAQI discards values above its last limit as erroneous
    with pytest.raises(indices.OutOfScaleError):
        indices.compute("eaqi", "pm25", 800.1)


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_impossible_values_are_refused(value):
    for scale in indices.SCALES:
        with pytest.raises(indices.OutOfScaleError):
            indices.compute(scale, "pm25", value)


def test_unknown_scale_and_pollutant():
    with pytest.raises(indices.UnknownScaleError):
        indices.compute("aqi-mars", "pm25", 10)
    with pytest.raises(indices.OutOfScaleError):
        indices.compute("uba", "o3", 10)


def test_every_band_has_health_advice():
    for scale in indices.SCALES.values():
        for bands in scale.bands.values():
            for band in bands:
                assert band.level in indices.ADVICE
