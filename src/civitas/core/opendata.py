"""The open-data interface: each domain publishes its own datasets.

A domain describes a dataset (:class:`Dataset`: its code, texts, formats, keywords), how
to make each format for a city and when it last changed, and names the tuple in its
manifest (``datasets``). The open-data pages and the DCAT-AP catalogue list the
datasets of the domains a city runs, in the installed order; they never need to know
where a dataset comes from. Anything published is anonymised and aggregated by the
domain that makes it (cells resting on fewer than ``core.kpis.MIN_PUBLISHED_N`` cases
suppressed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

# file type (EU authority table) and media type of each format a dataset may come in
FORMATS = {
    "csv": ("CSV", "text/csv"),
    "geojson": ("GEOJSON", "application/geo+json"),
    "jsonld": ("JSON_LD", "application/ld+json"),
    "json": ("JSON", "application/json"),
}

# (db, city, format, public base URL) -> (body, media type)
Make = Callable[[Session, Any, str, str], tuple[str | bytes, str]]


@dataclass(frozen=True)
class Dataset:
    code: str  # the file name: /{city}/open-data/{code}.{format}
    title: str  # N_() message ids
    description: str
    formats: tuple[str, ...]  # keys of FORMATS
    keywords: tuple[str, ...]
    make: Make
    modified: Callable[[Session, Any], datetime | None]  # None: it holds nothing yet


def published(city: Any) -> list[Dataset]:
    """The datasets of the domains this city runs."""
    from civitas.core import plugins

    found: list[Dataset] = []
    for domain in plugins.domains():
        if domain.datasets and plugins.enabled(city, domain.name):
            found.extend(plugins.resolve(domain.datasets))
    return found


def as_csv(fields: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV with a header line; a missing value is an empty cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
