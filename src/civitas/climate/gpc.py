"""The GPC's reporting structure (Global Protocol for Community-Scale Greenhouse Gas
Emission Inventories, WRI/C40/ICLEI 2014, tables 4.1 and 11.x): every sub-sector with
its reference number, scope and whether it belongs to BASIC or only to BASIC+.

BASIC covers scope 1 and 2 of stationary energy and transportation and scope 1 and 3 of
waste; BASIC+ adds IPPU, AFOLU, transboundary transportation (scope 3) and transmission
and distribution losses (scope 3). Emissions from grid-supplied energy generated in the
city (I.4.4) are reported but counted in no total: the electricity is counted once, as
scope 2 where it is used."""

from __future__ import annotations

from dataclasses import dataclass

from civitas.core.i18n import N_

NOTATION_KEYS = {
    "NO": N_("Not occurring"),
    "IE": N_("Included elsewhere"),
    "NE": N_("Not estimated"),
    "C": N_("Confidential"),
}


@dataclass(frozen=True)
class Row:
    ref: str  # "I.1.2"
    sector: str  # "I"
    subsector: str  # "I.1"
    scope: int  # 1, 2, 3
    basis: str  # "BASIC", "BASIC+", or "" (reported, in no total)


SECTORS = {
    "I": N_("Stationary energy"),
    "II": N_("Transportation"),
    "III": N_("Waste"),
    "IV": N_("Industrial processes and product use (IPPU)"),
    "V": N_("Agriculture, forestry and other land use (AFOLU)"),
}
SUBSECTORS = {
    "I.1": N_("Residential buildings"),
    "I.2": N_("Commercial and institutional buildings and facilities"),
    "I.3": N_("Manufacturing industries and construction"),
    "I.4": N_("Energy industries"),
    "I.5": N_("Agriculture, forestry and fishing activities"),
    "I.6": N_("Non-specified sources"),
    "I.7": N_("Fugitive emissions from mining, processing, storage and transportation of coal"),
    "I.8": N_("Fugitive emissions from oil and natural gas systems"),
    "II.1": N_("On-road transportation"),
    "II.2": N_("Railways"),
    "II.3": N_("Waterborne navigation"),
    "II.4": N_("Aviation"),
    "II.5": N_("Off-road transportation"),
    "III.1": N_("Solid waste disposal"),
    "III.2": N_("Biological treatment of waste"),
    "III.3": N_("Incineration and open burning"),
    "III.4": N_("Wastewater treatment and discharge"),
    "IV.1": N_("Industrial processes"),
    "IV.2": N_("Product use"),
    "V.1": N_("Livestock"),
    "V.2": N_("Land"),
    "V.3": N_("Aggregate sources and non-CO2 emission sources on land"),
}


def _energy(sub: str, scope3: bool = True) -> list[Row]:
    rows = [Row(f"{sub}.1", "I", sub, 1, "BASIC"), Row(f"{sub}.2", "I", sub, 2, "BASIC")]
    if scope3:
        rows.append(Row(f"{sub}.3", "I", sub, 3, "BASIC+"))
    return rows


def _transport(sub: str, scope2: bool = True) -> list[Row]:
    rows = [Row(f"{sub}.1", "II", sub, 1, "BASIC")]
    if scope2:
        rows.append(Row(f"{sub}.2", "II", sub, 2, "BASIC"))
    rows.append(Row(f"{sub}.3", "II", sub, 3, "BASIC+"))
    return rows


ROWS: tuple[Row, ...] = (
    *_energy("I.1"),
    *_energy("I.2"),
    *_energy("I.3"),
    Row("I.4.1", "I", "I.4", 1, "BASIC"),
    Row("I.4.2", "I", "I.4", 2, "BASIC"),
    Row("I.4.3", "I", "I.4", 3, "BASIC+"),
    Row("I.4.4", "I", "I.4", 1, ""),  # grid-supplied energy generated in the city
    *_energy("I.5"),
    *_energy("I.6"),
    Row("I.7.1", "I", "I.7", 1, "BASIC"),
    Row("I.8.1", "I", "I.8", 1, "BASIC"),
    *_transport("II.1"),
    *_transport("II.2"),
    *_transport("II.3"),
    *_transport("II.4"),
    Row("II.5.1", "II", "II.5", 1, "BASIC"),
    Row("II.5.2", "II", "II.5", 2, "BASIC"),
    Row("III.1.1", "III", "III.1", 1, "BASIC"),
    Row("III.1.2", "III", "III.1", 3, "BASIC"),
    Row("III.1.3", "III", "III.1", 1, ""),  # waste from outside treated in the city
    Row("III.2.1", "III", "III.2", 1, "BASIC"),
    Row("III.2.2", "III", "III.2", 3, "BASIC"),
    Row("III.2.3", "III", "III.2", 1, ""),
    Row("III.3.1", "III", "III.3", 1, "BASIC"),
    Row("III.3.2", "III", "III.3", 3, "BASIC"),
    Row("III.3.3", "III", "III.3", 1, ""),
    Row("III.4.1", "III", "III.4", 1, "BASIC"),
    Row("III.4.2", "III", "III.4", 3, "BASIC"),
    Row("III.4.3", "III", "III.4", 1, ""),
    Row("IV.1", "IV", "IV.1", 1, "BASIC+"),
    Row("IV.2", "IV", "IV.2", 1, "BASIC+"),
    Row("V.1", "V", "V.1", 1, "BASIC+"),
    Row("V.2", "V", "V.2", 1, "BASIC+"),
    Row("V.3", "V", "V.3", 1, "BASIC+"),
)
BY_REF = {row.ref: row for row in ROWS}
# a grid-electricity factor belongs in these rows only (scope 2): counted once
GRID_ROWS = frozenset(r.ref for r in ROWS if r.scope == 2)


def in_basis(row: Row, basis: str) -> bool:
    """Whether the row counts in a BASIC or a BASIC+ total."""
    if not row.basis:
        return False
    return row.basis == "BASIC" or basis == "BASIC+"
