"""Methane from solid waste disposal by first-order decay (IPCC 2006 Guidelines, Vol. 5,
chapter 3, equations 3.1 to 3.6), with the IPCC's default parameters:

* DDOCm = W · DOC · DOCf · MCF — the decomposable degradable organic carbon deposited
  (eq. 3.2);
* DDOCma_T = DDOCmd_T + DDOCma_(T−1) · e^(−k) — what is left to decay (eq. 3.4);
* DDOCm decomposed_T = DDOCma_(T−1) · (1 − e^(−k)) (eq. 3.5);
* CH₄ generated_T = DDOCm decomposed_T · F · 16/12 (eq. 3.6);
* CH₄ emitted_T = (CH₄ generated_T − R_T) · (1 − OX) (eq. 3.1).

Waste deposited in a year starts to decay the next year (the guidelines' simple form,
without the months' delay). DOC per waste type: Vol. 5 table 2.4; DOCf = 0.5; F = 0.5;
MCF: table 3.1; OX: table 3.2; k per climate zone: table 3.3. The bonsai-ipcc package
implements the same equations; Civitas carries its own few lines instead of its
dependencies (pandas, pyarrow, PyTables, SciPy)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from civitas.core.i18n import N_

DOC = {  # fraction of wet weight (IPCC 2006 Vol. 5 table 2.4)
    "food": 0.15,
    "garden": 0.20,
    "paper": 0.40,
    "wood": 0.43,
    "textiles": 0.24,
    "nappies": 0.24,
}
# k, per year (table 3.3): by climate zone and waste type
K = {
    "boreal_temperate_dry": {
        "paper": 0.04,
        "textiles": 0.04,
        "wood": 0.02,
        "garden": 0.05,
        "food": 0.06,
        "nappies": 0.06,
    },
    "boreal_temperate_wet": {
        "paper": 0.06,
        "textiles": 0.06,
        "wood": 0.03,
        "garden": 0.10,
        "food": 0.185,
        "nappies": 0.10,
    },
    "tropical_dry": {
        "paper": 0.045,
        "textiles": 0.045,
        "wood": 0.025,
        "garden": 0.065,
        "food": 0.085,
        "nappies": 0.085,
    },
    "tropical_moist": {
        "paper": 0.07,
        "textiles": 0.07,
        "wood": 0.035,
        "garden": 0.17,
        "food": 0.40,
        "nappies": 0.40,
    },
}
ZONE_LABELS = {
    "boreal_temperate_dry": N_("Boreal or temperate, dry"),
    "boreal_temperate_wet": N_("Boreal or temperate, wet"),
    "tropical_dry": N_("Tropical, dry"),
    "tropical_moist": N_("Tropical, moist or wet"),
}
WASTE_LABELS = {
    "food": N_("Food"),
    "garden": N_("Garden and park"),
    "paper": N_("Paper and cardboard"),
    "wood": N_("Wood"),
    "textiles": N_("Textiles"),
    "nappies": N_("Nappies"),
    "inert": N_("Inert (plastics, glass, metal, rubble)"),
}
MCF = {  # table 3.1
    "managed_anaerobic": 1.0,
    "managed_semi_aerobic": 0.5,
    "unmanaged_deep": 0.8,
    "unmanaged_shallow": 0.4,
    "uncategorised": 0.6,
}
DOCF = 0.5
F = 0.5
CH4_PER_C = 16 / 12


@dataclass(frozen=True)
class Site:
    """Where the waste goes: the landfill's kind, cover and the city's climate zone."""

    climate: str = "tropical_dry"
    mcf: float = MCF["managed_anaerobic"]
    ox: float = 0.0  # 0.1 for a managed site covered with oxidising material


def ch4_series(
    deposits: Mapping[int, Mapping[str, float]],  # year -> waste type -> tonnes (wet)
    years: range,
    site: Site,
    recovered: Mapping[int, float] | None = None,  # year -> t CH₄ recovered
) -> dict[int, float]:
    """Tonnes of CH₄ emitted in each of ``years`` from the waste deposited (every year of
    ``deposits`` counts, also those before the first of ``years``)."""
    if not deposits:
        return dict.fromkeys(years, 0.0)
    first = min(min(deposits), years.start)
    left: dict[str, float] = {}
    out: dict[int, float] = {}
    for year in range(first, years.stop):
        generated = 0.0
        for kind, carbon in left.items():
            k = K[site.climate][kind]
            decayed = carbon * (1 - math.exp(-k))
            generated += decayed * F * CH4_PER_C
            left[kind] = carbon - decayed
        for kind, tonnes in deposits.get(year, {}).items():
            if kind not in DOC:
                continue  # plastics, glass, metal: no degradable carbon
            left[kind] = left.get(kind, 0.0) + tonnes * DOC[kind] * DOCF * site.mcf
        if year in years:
            emitted = max(0.0, generated - (recovered or {}).get(year, 0.0)) * (1 - site.ox)
            out[year] = emitted
    return out


def committed_ch4(tonnes: Mapping[str, float], site: Site) -> float:
    """All the CH₄ the waste would give off over the years (the "committed" emissions):
    what diverting it from the landfill avoids, in tonnes."""
    carbon = sum(t * DOC.get(kind, 0.0) for kind, t in tonnes.items())
    return carbon * DOCF * site.mcf * F * CH4_PER_C * (1 - site.ox)
