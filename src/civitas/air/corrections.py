"""Corrections of low-cost PM2.5 sensors, each a plain function with its inputs named.
A correction belongs to a sensor type: applying one to another type is refused, since
that is the most common way published values drift from the map's.

* ``epa-2021`` — Barkjohn, Gantt and Clements (2021), AMT 14, 4617, the US-wide
  correction as extended on the AirNow Fire and Smoke Map in 2021, for a PurpleAir's
  hourly ``pm2.5_cf_1``, the mean of channels A and B (PA), and the humidity its own
  sensor reports (RH, %, as measured, never a corrected humidity):
  PA ≤ 343: PM2.5 = 0.524·PA − 0.0862·RH + 5.75;
  PA > 343: PM2.5 = 0.46·PA + 3.93·10⁻⁴·PA² + 2.97.
* ``epa-2022`` — Barkjohn, Holder, Frederick and Clements (2022), Sensors 22, 9669, for
  extreme smoke (the default for PurpleAir):
  PA < 570: PM2.5 = 0.524·PA − 0.0862·RH + 5.75;
  570 ≤ PA < 611: PM2.5 = (0.0244·PA − 13.9)·Q + (1 − (0.0244·PA − 13.9))·L, where
  Q = 0.46·PA + 3.93·10⁻⁴·PA² + 2.97 and L the first line's value;
  PA ≥ 611: PM2.5 = Q.
* ``kappa-koehler`` — hygroscopic growth (κ-Köhler; Crilley et al. 2018, AMT 11, 709,
  after Petters and Kreidenweis 2007) for nephelometric sensors without a heated inlet
  (SDS011, SPS30, PMS5003): PM_dry = PM / C with C = 1 + (κ/ρ)/(100/RH − 1), RH the
  paired humidity sensor's reading in %, capped at 99; κ = 0.4 and ρ = 1.65 unless the
  city set its own.
* ``fit`` — a collocation fit against a reference station (see calibration):
  PM2.5 = a + b·PM_raw + c·RH, with the fit's dated coefficients.

A corrected value below zero is published as zero. ``None`` (no humidity) leaves a
humidity-dependent correction undone: the value stays raw and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("sds011", "sps30", "pms5003", "purpleair", "reference")
OPTICAL = ("sds011", "sps30", "pms5003")
VERSION = {"epa-2021": "1", "epa-2022": "1", "kappa-koehler": "1", "none": "1"}
DEFAULT = {
    "purpleair": "epa-2022",
    "sds011": "kappa-koehler",
    "sps30": "kappa-koehler",
    "pms5003": "kappa-koehler",
    "reference": "none",
}
FOR_KIND = {
    "epa-2021": ("purpleair",),
    "epa-2022": ("purpleair",),
    "kappa-koehler": OPTICAL,
    "fit": KINDS[:-1],
    "none": KINDS,
}


class WrongSensorError(ValueError):
    """A correction asked of a sensor type it was not made for."""


def _low(pa: float, rh: float) -> float:
    return 0.524 * pa - 0.0862 * rh + 5.75


def _quadratic(pa: float) -> float:
    return 0.46 * pa + 3.93e-4 * pa * pa + 2.97


def epa_2021(pa: float, rh: float) -> float:
    """PurpleAir pm2.5_cf_1 (mean of A and B) and its own RH → PM2.5, µg/m³."""
    return max(0.0, _low(pa, rh) if pa <= 343 else _quadratic(pa))


def epa_2022(pa: float, rh: float) -> float:
    """The 2022 extended US-wide correction (three ranges)."""
    if pa < 570:
        value = _low(pa, rh)
    elif pa < 611:
        weight = 0.0244 * pa - 13.9
        value = weight * _quadratic(pa) + (1 - weight) * _low(pa, rh)
    else:
        value = _quadratic(pa)
    return max(0.0, value)


def kappa_koehler(pm: float, rh: float, kappa: float = 0.4, density: float = 1.65) -> float:
    """A dry-particle estimate from an optical sensor's reading at humidity ``rh`` (%)."""
    rh = min(max(rh, 0.0), 99.0)
    if rh <= 0:
        return max(0.0, pm)
    growth = 1 + (kappa / density) / (100.0 / rh - 1)
    return max(0.0, pm / growth)


def linear_fit(pm: float, rh: float, coefficients: dict[str, float]) -> float:
    return max(
        0.0,
        coefficients["intercept"] + coefficients["slope"] * pm + coefficients["rh"] * rh,
    )


@dataclass(frozen=True)
class Correction:
    """What is applied to a sensor's PM2.5: a method, its version and its inputs."""

    method: str  # epa-2021 | epa-2022 | kappa-koehler | fit | none
    version: str
    parameters: dict[str, Any]

    @property
    def name(self) -> str:
        """As every published value names it: "epa-2022/1", "fit/2026-11-03"."""
        return f"{self.method}/{self.version}"

    def function(self, kind: str) -> Callable[[float, float | None], tuple[float, bool]]:
        """``f(pm, rh) -> (value, applied)`` for a sensor of ``kind``."""
        if kind not in FOR_KIND.get(self.method, ()):
            raise WrongSensorError(f"{self.method} is not made for {kind} sensors")
        method, parameters = self.method, self.parameters

        def apply(pm: float, rh: float | None) -> tuple[float, bool]:
            if method == "none":
                return pm, True
            if rh is None:
                return pm, False
            if method == "epa-2021":
                return epa_2021(pm, rh), True
            if method == "epa-2022":
                return epa_2022(pm, rh), True
            if method == "kappa-koehler":
                return kappa_koehler(
                    pm, rh, parameters.get("kappa", 0.4), parameters.get("density", 1.65)
                ), True
            return linear_fit(pm, rh, parameters), True

        return apply


def default_for(kind: str, settings: dict[str, Any] | None = None) -> Correction:
    method = DEFAULT[kind]
    parameters: dict[str, Any] = {}
    if method == "kappa-koehler":
        parameters = {
            "kappa": float((settings or {}).get("kappa", 0.4)),
            "density": float((settings or {}).get("density", 1.65)),
        }
    return Correction(method, VERSION[method], parameters)
