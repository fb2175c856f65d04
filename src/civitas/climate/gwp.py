"""Dated sets of global warming potentials (100 years). An inventory is computed with one
set: CO₂e is always worked out from the gases' masses, never added across sets.

* AR4 (IPCC 2007, WG1 table 2.14): CH₄ 25, N₂O 298 — the UNFCCC's reporting until 2023.
* AR5 (IPCC 2014, WG1 table 8.7, without climate-carbon feedbacks): CH₄ 28, N₂O 265 —
  the GPC's recommendation.
* AR6 (IPCC 2021, WG1 table 7.15): CH₄ 27.0 (non-fossil; 29.8 fossil), N₂O 273.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from civitas.core.i18n import N_


@dataclass(frozen=True)
class GwpSet:
    code: str
    title: str
    published: date
    co2: float
    ch4: float
    ch4_fossil: float
    n2o: float
    source: str


SETS = {
    "AR4": GwpSet(
        "AR4",
        N_("IPCC Fourth Assessment Report (2007)"),
        date(2007, 1, 1),
        1,
        25,
        25,
        298,
        "IPCC AR4 WG1, table 2.14",
    ),
    "AR5": GwpSet(
        "AR5",
        N_("IPCC Fifth Assessment Report (2014)"),
        date(2014, 1, 1),
        1,
        28,
        30,
        265,
        "IPCC AR5 WG1, table 8.7",
    ),
    "AR6": GwpSet(
        "AR6",
        N_("IPCC Sixth Assessment Report (2021)"),
        date(2021, 8, 9),
        1,
        27.0,
        29.8,
        273,
        "IPCC AR6 WG1, table 7.15",
    ),
}
DEFAULT = "AR5"


def co2e_t(
    gwp: GwpSet, co2_t: float, ch4_t: float, n2o_t: float, *, fossil_ch4: bool = False
) -> float:
    """Tonnes of CO₂e of the three gases under one GWP set."""
    return co2_t * gwp.co2 + ch4_t * (gwp.ch4_fossil if fossil_ch4 else gwp.ch4) + n2o_t * gwp.n2o
