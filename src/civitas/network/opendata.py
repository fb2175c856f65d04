"""The network space's open data: published practices (with their measured effects and
where they were adopted), events and partnership projects (with their aims' progress),
as JSON-LD in a DCAT-AP 3.0 catalogue of the network, and as one Atom feed. Nothing here
names a person: practices carry the contact their city chose to publish; events say
neither who registered nor an online meeting's link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civitas.cities.models import City
from civitas.cities.service import list_cities
from civitas.core.db import utcnow
from civitas.core.kpis import catalogue
from civitas.insight.opendata import CONTEXT, FILE_TYPE, LICENCE, LICENCE_NAME, MEDIA
from civitas.network import partnerships, practices
from civitas.network.models import Adoption, Event, Evidence, Practice, Project

DATASETS = {
    "practices": (
        "Good practices of the learning network",
        "Practices the network's coordinator published, with the effect measured on the "
        "owning city's KPIs (baseline and after periods, cases) and the cities adopting them.",
        ["good practice", "learning network", "KPI"],
    ),
    "events": (
        "Events of the learning network",
        "Dialogue events of the communities of practice: dates, online or on site, agenda "
        "and the practices and projects they led to.",
        ["event", "community of practice"],
    ),
    "projects": (
        "Projects of partnerships between cities",
        "Projects of municipal partnerships: partner cities, dates, budget, milestones and "
        "aims along five dimensions, measured on the partner cities' KPIs where tied to one.",
        ["municipal partnership", "project", "KPI"],
    ),
}


def _stamp(moment: datetime | None) -> dict[str, str] | None:
    if moment is None:
        return None
    return {
        "@value": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "@type": "xsd:dateTime",
    }


def _texts(texts: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": v, "@language": k} for k, v in texts.items() if v]


def base_of(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/network"


def modified(db: Session) -> dict[str, datetime | None]:
    return {
        "practices": db.scalar(
            select(func.max(Practice.published_at)).where(Practice.status == "published")
        ),
        "events": db.scalar(select(func.max(Event.created_at))),
        "projects": db.scalar(select(func.max(Project.created_at))),
    }


def catalog(db: Session, base_url: str) -> dict[str, Any]:
    """The network's open data as a DCAT-AP 3.0 catalogue (JSON-LD)."""
    base = base_of(base_url)
    changed = modified(db)
    publisher = {
        "@id": f"{base}#publisher",
        "@type": "foaf:Agent",
        "foaf:name": "Learning network of the Civitas cities",
    }
    licence = {"@id": LICENCE, "@type": "dct:LicenseDocument", "dct:title": LICENCE_NAME}
    datasets = []
    for code, (title, description, keywords) in DATASETS.items():
        when = _stamp(changed[code])
        stamp = {"dct:modified": when} if when else {}
        url = f"{base}/{code}.jsonld"
        datasets.append(
            {
                "@id": f"{base}/{code}",
                "@type": "dcat:Dataset",
                "dct:identifier": f"network/{code}",
                "dct:title": {"@value": title, "@language": "en"},
                "dct:description": {"@value": description, "@language": "en"},
                "dct:publisher": publisher,
                "dcat:keyword": [{"@value": k, "@language": "en"} for k in keywords],
                "dcat:landingPage": {"@id": f"{base}/catalog.jsonld", "@type": "foaf:Document"},
                "dcat:contactPoint": {
                    "@id": f"{base}#contact",
                    "@type": ["vcard:Kind", "vcard:Organization"],
                    "vcard:fn": "Learning network coordination",
                },
                **stamp,
                "dcat:distribution": [
                    {
                        "@id": f"{url}#distribution",
                        "@type": "dcat:Distribution",
                        "dct:title": f"{title} (JSON-LD)",
                        "dcat:accessURL": {"@id": url, "@type": "rdfs:Resource"},
                        "dcat:downloadURL": {"@id": url, "@type": "rdfs:Resource"},
                        "dcat:mediaType": {
                            "@id": MEDIA + "application/ld+json",
                            "@type": "dct:MediaType",
                        },
                        "dct:format": {
                            "@id": FILE_TYPE + "JSON_LD",
                            "@type": "dct:MediaTypeOrExtent",
                        },
                        "dct:license": licence,
                        **stamp,
                    },
                    {
                        "@id": f"{base}/feed.atom#{code}",
                        "@type": "dcat:Distribution",
                        "dct:title": f"{title} (Atom)",
                        "dcat:accessURL": {"@id": f"{base}/feed.atom", "@type": "rdfs:Resource"},
                        "dcat:mediaType": {
                            "@id": MEDIA + "application/atom+xml",
                            "@type": "dct:MediaType",
                        },
                        "dct:format": {"@id": FILE_TYPE + "ATOM", "@type": "dct:MediaTypeOrExtent"},
                        "dct:license": licence,
                    },
                ],
            }
        )
    latest = max((c for c in changed.values() if c is not None), default=None)
    when = _stamp(latest)
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": "Open data of the learning network", "@language": "en"},
        "dct:description": {
            "@value": "Good practices, events and partnership projects of the cities that "
            "take part in the learning network.",
            "@language": "en",
        },
        "dct:publisher": publisher,
        "dct:license": licence,
        **({"dct:modified": when} if when else {}),
        "foaf:homepage": {"@id": f"{base}/catalog.jsonld", "@type": "foaf:Document"},
        "dcat:dataset": datasets,
    }


def _effect(row: Evidence, city: City) -> dict[str, Any]:
    e = row.effect or {}
    known = catalogue()
    return {
        "@type": "schema:Observation",
        "schema:observationAbout": city.name,
        "schema:variableMeasured": row.kpi,
        "schema:name": known[row.kpi].title("en") if row.kpi in known else row.kpi,
        "baseline": {
            "from": row.baseline_from,
            "to": row.baseline_to,
            "value": e.get("baseline"),
            "cases": e.get("n_baseline"),
        },
        "after": {
            "from": row.after_from,
            "to": row.after_to,
            "value": e.get("after"),
            "cases": e.get("n_after"),
        },
        "change": e.get("change"),
        "verdict": e.get("verdict"),
    }


def practices_jsonld(db: Session, base_url: str) -> dict[str, Any]:
    base = base_of(base_url)
    cities = {c.id: c for c in list_cities(db)}
    found = practices.search(db)
    rows: dict[int, list[Evidence]] = {}
    for row in db.scalars(
        select(Evidence).where(Evidence.practice_id.in_([p.id for p in found] or [0]))
    ):
        rows.setdefault(row.practice_id, []).append(row)
    adopted: dict[int, list[Adoption]] = {}
    for a in db.scalars(select(Adoption)):
        adopted.setdefault(a.practice_id, []).append(a)
    graph = []
    for p in found:
        owner = cities[p.city_id]
        graph.append(
            {
                "@id": f"{base}/practices#p{p.id}",
                "@type": "schema:CreativeWork",
                "schema:name": _texts(p.title),
                "schema:abstract": _texts(p.problem),
                "schema:description": _texts(p.action),
                "schema:about": p.topic,
                "schema:sourceOrganization": {
                    "@type": "schema:GovernmentOrganization",
                    "schema:name": owner.name,
                    "schema:addressCountry": owner.country.upper(),
                },
                "schema:datePublished": _stamp(p.published_at),
                "schema:contactPoint": p.contact or None,
                "effect": [_effect(r, owner) for r in rows.get(p.id, []) if r.city_id == p.city_id],
                "adoptedBy": [
                    {
                        "schema:name": cities[a.city_id].name,
                        "started": a.started,
                        "effect": [
                            _effect(r, cities[a.city_id])
                            for r in rows.get(p.id, [])
                            if r.city_id == a.city_id
                        ],
                    }
                    for a in adopted.get(p.id, [])
                ],
            }
        )
    return {"@context": CONTEXT, "@graph": graph}


def events_jsonld(db: Session, base_url: str) -> dict[str, Any]:
    base = base_of(base_url)
    graph = []
    for e in db.scalars(select(Event).order_by(Event.starts_at)):
        node: dict[str, Any] = {
            "@id": f"{base}/events#e{e.id}",
            "@type": "schema:Event",
            "schema:name": e.title,
            "schema:startDate": _stamp(e.starts_at),
            "schema:endDate": _stamp(e.ends_at),
            "schema:eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode"
            if e.mode == "online"
            else "https://schema.org/OfflineEventAttendanceMode",
            "schema:description": e.agenda,
            "outcomes": [
                {"@id": f"{base}/practices#p{o['practice']}"}
                if "practice" in o
                else {"@id": f"{base}/projects#j{o['project']}"}
                for o in e.outcomes
            ],
        }
        if e.mode == "on_site" and e.place:
            node["schema:location"] = e.place
        graph.append(node)
    return {"@context": CONTEXT, "@graph": graph}


def projects_jsonld(db: Session, base_url: str) -> dict[str, Any]:
    base = base_of(base_url)
    graph = []
    for project in db.scalars(select(Project).order_by(Project.starts_on)):
        v = partnerships.project_view(db, project)
        graph.append(
            {
                "@id": f"{base}/projects#j{project.id}",
                "@type": "schema:Project",
                "schema:name": project.title,
                "schema:description": project.summary,
                "schema:startDate": project.starts_on,
                "schema:endDate": project.ends_on,
                "partnership": v.partnership.name,
                "partners": [
                    {"schema:name": p.name, "schema:addressCountry": p.country} for p in v.partners
                ],
                "budget": None
                if project.budget is None
                else {"schema:value": project.budget, "schema:currency": project.currency},
                "milestones": [
                    {"schema:name": m.title, "due": m.due_on, "done": m.done_on}
                    for m in v.milestones
                ],
                "aims": [
                    {
                        "dimension": a.aim.dimension,
                        "schema:description": a.aim.text,
                        "kpi": a.aim.kpi,
                        "city": None if a.city is None else a.city.name,
                        "baseline": a.baseline,
                        "baselineMonth": a.aim.baseline_month,
                        "target": a.aim.target,
                        "latest": a.latest,
                        "latestMonth": a.latest_month,
                        "progress": a.share,
                    }
                    for a in v.aims
                ],
            }
        )
    return {"@context": CONTEXT, "@graph": graph}


def feed_entries(db: Session) -> list[dict[str, Any]]:
    """The feed's entries, newest first: published practices, events, projects."""
    out: list[dict[str, Any]] = []
    for p in practices.search(db):
        out.append(
            {
                "id": f"practice-{p.id}",
                "title": p.title,
                "summary": p.problem,
                "updated": p.published_at or p.updated_at,
                "kind": "practices",
                "anchor": f"p{p.id}",
            }
        )
    for e in db.scalars(select(Event)):
        out.append(
            {
                "id": f"event-{e.id}",
                "title": {"en": e.title},
                "summary": {"en": e.agenda[:500]},
                "updated": e.created_at,
                "kind": "events",
                "anchor": f"e{e.id}",
            }
        )
    for j in db.scalars(select(Project)):
        out.append(
            {
                "id": f"project-{j.id}",
                "title": {"en": j.title},
                "summary": {"en": j.summary[:500]},
                "updated": j.created_at,
                "kind": "projects",
                "anchor": f"j{j.id}",
            }
        )
    out.sort(key=lambda x: x["updated"] or utcnow(), reverse=True)
    return out
