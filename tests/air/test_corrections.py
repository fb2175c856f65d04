"""The corrections against their published formulas, to 1e-9, on each side of every
range limit; a correction is refused for a sensor type it was not made for."""

from __future__ import annotations

import pytest

from civitas.air import corrections
from civitas.air.corrections import Correction, WrongSensorError


def low(pa: float, rh: float) -> float:  # Barkjohn et al. 2021, eq. for the US-wide fit
    return 0.524 * pa - 0.0862 * rh + 5.75


def quad(pa: float) -> float:  # Barkjohn et al. 2022, the smoke fit
    return 0.46 * pa + 3.93e-4 * pa**2 + 2.97


@pytest.mark.parametrize(
    ("pa", "rh", "expected"),
    [
        (20.0, 50.0, 11.92),
        (343.0, 60.0, low(343.0, 60.0)),
        (343.000001, 60.0, quad(343.000001)),
        (400.0, 50.0, 249.85),
    ],
)
def test_epa_2021(pa, rh, expected):
    assert corrections.epa_2021(pa, rh) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("pa", "rh"),
    [
        (0.5, 30.0),
        (100.0, 40.0),
        (569.999, 40.0),
        (570.0, 40.0),
        (590.0, 40.0),
        (610.99, 55.0),
        (611.0, 55.0),
        (900.0, 20.0),
    ],
)
def test_epa_2022(pa, rh):
    if pa < 570:
        expected = low(pa, rh)
    elif pa < 611:
        w = 0.0244 * pa - 13.9
        expected = w * quad(pa) + (1 - w) * low(pa, rh)
    else:
        expected = quad(pa)
    assert corrections.epa_2022(pa, rh) == pytest.approx(max(0.0, expected), abs=1e-9)


def test_epa_2022_joins_its_ranges_as_published():
    # the published weight 0.0244·PA − 13.9 is 0.008 at 570 and 1.008 at 611, not 0 and 1:
    # the formula, implemented as published, steps by under 1 µg/m³ at its limits
    for limit in (570.0, 611.0):
        step = corrections.epa_2022(limit, 50) - corrections.epa_2022(limit - 1e-9, 50)
        assert abs(step) < 1.0


def test_kappa_koehler():
    # C = 1 + (0.4 / 1.65) / (100 / 80 - 1) = 1.969696…
    assert corrections.kappa_koehler(30.0, 80.0) == pytest.approx(
        30.0 / (1 + (0.4 / 1.65) / 0.25), abs=1e-9
    )
    assert corrections.kappa_koehler(30.0, 0.0) == 30.0
    # humidity is capped at 99 %: no division by zero
    assert corrections.kappa_koehler(30.0, 100.0) == pytest.approx(
        30.0 / (1 + (0.4 / 1.65) / (100 / 99 - 1)), abs=1e-9
    )


def test_never_below_zero():
    assert corrections.epa_2021(0.0, 100.0) == 0.0


def test_a_correction_is_refused_for_another_sensor_type():
    epa = Correction("epa-2022", "1", {})
    with pytest.raises(WrongSensorError):
        epa.function("sds011")
    kappa = corrections.default_for("sds011")
    with pytest.raises(WrongSensorError):
        kappa.function("purpleair")
    assert corrections.default_for("purpleair").name == "epa-2022/1"


def test_without_humidity_the_value_stays_raw_and_says_so():
    apply = corrections.default_for("sds011").function("sds011")
    assert apply(25.0, None) == (25.0, False)
    value, applied = apply(25.0, 80.0)
    assert applied
    assert value < 25.0
