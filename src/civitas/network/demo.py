"""The demo's learning network. With Trujillo: an outside expert, three of Trujillo's
practices measured on its own published figures (the hotline solving on the first call,
requests online, recycling routes for the waste pickers), two communities with
discussions (one answered) and events (one past, with minutes). With Musterstadt: its
proactive birth grant, its adoption of Trujillo's hotline practice, the Trujillo –
Musterstadt partnership with a project whose aims are tied to Trujillo's KPIs, a
benchmarking circle both share in, and a contest with entries and a juror. Running it
again changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from civitas.accounts.demo import ensure_user
from civitas.accounts.models import User
from civitas.cities.models import City
from civitas.core.config import Settings
from civitas.core.db import utcnow
from civitas.insight.figures import current_month
from civitas.network import circles, community, contests, partnerships, practices
from civitas.network.models import (
    Circle,
    Contest,
    Discussion,
    Event,
    Group,
    Partnership,
    Practice,
    Profile,
)
from civitas.network.permissions import NETWORK_EXPERT

ACTOR = "system:demo"
REVIEWED = {"PE": "Evidencia revisada.", "DE": "Wirkung geprüft."}
COORDINATOR = "user:network"


def _month(city: City, back: int) -> str:
    """The month ``back`` months before this one (the demo's history is a year)."""
    this = current_month(city)
    year, month = divmod(int(this[:4]) * 12 + int(this[5:7]) - 1 - back, 12)
    return f"{year:04d}-{month + 1:02d}"


def _windows(
    city: City, kpi: str, before: tuple[int, int] = (12, 10), after: tuple[int, int] = (3, 1)
) -> dict[str, str]:
    """The first three months of the year of history before, the last three complete
    months after (months counted back from this one)."""
    return {
        "kpi": kpi,
        "baseline_from": _month(city, before[0]),
        "baseline_to": _month(city, before[1]),
        "after_from": _month(city, after[0]),
        "after_to": _month(city, after[1]),
    }


def _profile(db: Session, city: City, username: str, **extra: Any) -> Profile:
    found = db.scalar(
        select(Profile).where(Profile.city_id == city.id, Profile.username == username)
    )
    if found is not None:
        return found
    user = db.scalar(select(User).where(User.username == username))
    profile = Profile(
        **{
            "city_id": city.id,
            "username": username,
            "full_name": user.full_name if user else username,
            "email": f"{username}@{city.slug}.example",
            "organisation": city.name,
        }
        | extra
    )
    db.add(profile)
    db.flush()
    return profile


def _practice(db: Session, city: City, spec: dict[str, Any], *, publish: bool = True) -> Practice:
    title = spec["title"]
    for found in db.scalars(select(Practice).where(Practice.city_id == city.id)):
        if found.title == title:
            return found
    data = practices.PracticeIn.model_validate(
        {k: v for k, v in spec.items() if k != "evidence"}
        | {"evidence": [_windows(city, *e) for e in spec.get("evidence", [])]}
    )
    made = practices.create_practice(db, city, data=data, actor="user:caseworker")
    practices.submit(db, city, made.id, actor="user:caseworker")
    if publish:
        practices.review(db, made.id, publish=True, note="Evidence checked.", actor=COORDINATOR)
    return made


TRUJILLO: list[dict[str, Any]] = [
    {
        "topic": "citizen_service",
        "title": {
            "es": "La central resuelve en la primera llamada",
            "en": "The hotline solves it on the first call",
        },
        "problem": {
            "es": "Los vecinos llamaban varias veces por el mismo trámite: la central solo "
            "tomaba nota y derivaba a las áreas.",
            "en": "Residents called several times about the same matter: the hotline only "
            "took notes and passed them on.",
        },
        "action": {
            "es": "Las operadoras trabajan con el catálogo de servicios y el estado de cada "
            "solicitud a la vista; resuelven en la llamada lo que no necesita una visita y "
            "registran el caso como resuelto en el primer contacto.",
            "en": "Agents work with the service catalogue and each request's status at hand; "
            "what needs no visit is solved during the call and recorded as solved on first "
            "contact.",
        },
        "resources": {"es": "Seis operadoras, dos semanas de capacitación, sin costo de software."},
        "steps": {
            "es": "1. Publicar el catálogo con requisitos y plazos.\n2. Dar a la central acceso "
            "de lectura a las solicitudes.\n3. Medir la resolución en el primer contacto cada mes.",
        },
        "contact": "central@trujillo.example",
        "services": [],
        "evidence": [("fcr_pct",)],
    },
    {
        "topic": "citizen_service",
        "title": {"es": "Solicitudes en línea con mapa", "en": "Requests online with a map"},
        "problem": {
            "es": "La mayoría de reportes llegaba por teléfono o en ventanilla, con "
            "direcciones imprecisas.",
            "en": "Most reports came by phone or at the counter, with vague addresses.",
        },
        "action": {
            "es": "El portal y la API Open311 reciben reportes con ubicación en el mapa, foto "
            "y seguimiento; la central los registra igual cuando el vecino llama.",
            "en": "The portal and the Open311 API take reports with a map location, a photo "
            "and tracking; the hotline files them the same way when residents call.",
        },
        "contact": "gobierno.digital@trujillo.example",
        "services": [],
        "evidence": [("digital_pct",)],
    },
    {
        "topic": "waste",
        "title": {
            "es": "Rutas de reciclaje para las recicladoras",
            "en": "Recycling routes for the waste pickers",
        },
        "problem": {
            "es": "Las recicladoras recorrían zonas sin saber qué viviendas separaban; "
            "muchas visitas no encontraban material.",
            "en": "Waste pickers walked their zones without knowing which homes separate "
            "their waste; many visits found nothing.",
        },
        "action": {
            "es": "Los vecinos piden el recojo en línea; cada noche se planifica la ruta de "
            "cada recicladora con ventanas horarias, y las ventas se registran por kilo.",
            "en": "Residents ask for a pickup online; each night every picker's route is "
            "planned with time windows, and sales are recorded by the kilo.",
        },
        "contact": "reciclaje@trujillo.example",
        "services": [],
        # the programme's figures begin two months back: one month before, one after
        "evidence": [("recycling_income_median", (2, 2), (1, 0))],
    },
]

WAITING: dict[str, Any] = {
    "topic": "waste",
    "title": {"es": "Compost de los mercados", "en": "Compost from the markets"},
    "problem": {
        "es": "Los residuos orgánicos de los mercados iban al botadero.",
        "en": "The markets' organic waste went to the dump.",
    },
    "action": {
        "es": "Los comerciantes separan lo orgánico; una planta municipal lo composta y el "
        "compost vuelve a los parques.",
        "en": "Traders separate organic waste; a municipal plant composts it and the compost "
        "goes back to the parks.",
    },
    "services": [],
    "evidence": [("csat_pct",)],
}

MUSTERSTADT: dict[str, Any] = {
    "topic": "social",
    "title": {
        "de": "Leistungen ohne Antrag, vom Begrüßungsgeld an",
        "en": "Benefits without an application, starting with the birth grant",
    },
    "problem": {
        "de": "Eltern mussten das Begrüßungsgeld beantragen und Nachweise einreichen, die "
        "das Standesamt längst hatte; die Bearbeitung dauerte Wochen.",
        "en": "Parents had to apply for the birth grant with documents the register office "
        "already held; handling took weeks.",
    },
    "action": {
        "de": "Nach der Beurkundung der Geburt prüft Civitas die Anspruchsregeln mit den "
        "Daten des Melderegisters und bietet das Geld proaktiv an; die Eltern bestätigen "
        "nur noch ihre Bankverbindung.",
        "en": "Once the birth is registered, Civitas checks the rules against the population "
        "register and offers the grant proactively; parents only confirm their bank account.",
    },
    "steps": {
        "de": "1. Anspruchsregeln als Regeln erfassen.\n2. Registerdaten mit Zweck "
        "protokollieren.\n3. Angebot und Auszahlung messen.",
    },
    "contact": "buergerbuero@musterstadt.example",
    "services": [],
    # offered without an application since the rule went live (the last five months)
    "evidence": [("proactive_pct", (5, 4), (2, 1))],
}


def _groups(db: Session) -> tuple[Group, Group]:
    found = {g.topic: g for g in db.scalars(select(Group))}
    waste = found.get("waste") or community.create_group(
        db,
        topic="waste",
        name={
            "es": "Residuos y reciclaje",
            "de": "Abfall und Recycling",
            "en": "Waste and recycling",
        },
        description={
            "es": "Recojo, reciclaje inclusivo con recicladoras, compostaje.",
            "de": "Abfuhr, inklusives Recycling mit Sammlerinnen, Kompost.",
            "en": "Collection, inclusive recycling with waste pickers, compost.",
        },
    )
    service = found.get("citizen_service") or community.create_group(
        db,
        topic="citizen_service",
        name={
            "es": "Atención al vecino",
            "de": "Bürgerservice",
            "en": "Citizen service",
        },
        description={
            "es": "Centrales telefónicas, ventanillas, trámites en línea.",
            "de": "Servicecenter, Bürgerbüros, Online-Dienste.",
            "en": "Hotlines, offices, services online.",
        },
    )
    return waste, service


def _trujillo(db: Session, city: City, password: str) -> list[str]:
    lines = [
        ensure_user(
            db,
            city,
            username="expert",
            full_name="Elena Vargas",
            role=NETWORK_EXPERT,
            department=None,
            password=password,
        )
    ]
    made = [_practice(db, city, spec) for spec in TRUJILLO]
    # one waits for the coordinator's review
    _practice(db, city, WAITING, publish=False)
    caseworker = _profile(db, city, "caseworker")
    manager = _profile(db, city, "manager")
    coordinator = _profile(db, city, "network", organisation="PCM – Red de aprendizaje")
    expert = _profile(
        db,
        city,
        "expert",
        outside=True,
        expertise="Gestión de residuos sólidos e inclusión de recicladores.",
    )
    expert.organisation = "Connective Cities"
    waste, service = _groups(db)
    for group in (waste, service):
        for who in (caseworker, manager, coordinator, expert):
            community.join(db, group, who)
    community.set_role(db, waste, expert.id, "moderator")
    community.set_role(db, service, coordinator.id, "moderator")
    now = utcnow()
    if db.scalar(select(Discussion.id).where(Discussion.group_id == waste.id)) is None:
        talk = community.start_discussion(
            db,
            waste,
            caseworker,
            title="¿Cómo pesan lo que recogen las recicladoras?",
            body="Queremos pagar por kilo con balanzas en cada triciclo. ¿Qué balanzas usan "
            "y cómo evitan errores al registrar?",
        )
        talk.created_at = talk.last_activity_at = now - timedelta(days=9)
        first = community.answer(
            db,
            talk,
            expert,
            body="Balanzas colgantes de 50 kg calibradas cada trimestre; el peso se registra "
            "en el teléfono al vender, no en la calle, y el comprador lo confirma.",
        )
        first.created_at = now - timedelta(days=8)
        community.accept(db, talk, first.id, caseworker, _principal(city, "caseworker"))
        open_talk = community.start_discussion(
            db,
            service,
            manager,
            title="¿Qué parte de las llamadas se resuelve sin derivar?",
            body="Medimos la resolución en el primer contacto. ¿Con qué meta trabajan ustedes?",
        )
        open_talk.created_at = open_talk.last_activity_at = now - timedelta(days=2)
    if db.scalar(select(Event.id).where(Event.group_id == waste.id)) is None:
        zone = ZoneInfo(city.timezone)
        past_day = (now - timedelta(days=20)).astimezone(zone).date()
        past = Event(
            group_id=waste.id,
            title="Diálogo: rutas para recicladoras",
            starts_at=datetime.combine(past_day, time(10), zone),
            ends_at=datetime.combine(past_day, time(12), zone),
            timezone=city.timezone,
            mode="online",
            place="https://meet.example/reciclaje",
            agenda="1. Trujillo presenta sus rutas.\n2. Preguntas.\n3. Próximos pasos.",
            minutes="Trujillo presentó la planificación nocturna de rutas. Se acordó documentar "
            "la práctica en la red y medir el ingreso de las recicladoras.",
            outcomes=[{"practice": made[2].id}],
            created_by=expert.id,
        )
        next_day = (now + timedelta(days=12)).astimezone(zone).date()
        upcoming = Event(
            group_id=service.id,
            title="Encuentro: la central telefónica que resuelve",
            starts_at=datetime.combine(next_day, time(9), zone),
            ends_at=datetime.combine(next_day, time(11), zone),
            timezone=city.timezone,
            mode="on_site",
            place="Municipalidad Provincial de Trujillo, Jr. Pizarro 412",
            agenda="Visita a la central, conversación con las operadoras, intercambio de cifras.",
            capacity=25,
            created_by=coordinator.id,
        )
        db.add_all([past, upcoming])
        db.flush()
        community.register(db, upcoming, manager)
        community.register(db, upcoming, expert)
    if db.scalar(select(Circle.id)) is None:
        circle = circles.create_circle(
            db,
            name="Atención al vecino · Bürgerservice",
            kpis=["csat_pct", "close_median_h", "fcr_pct", "digital_pct"],
            actor=COORDINATOR,
        )
        circles.share(db, city, circle, ["csat_pct", "close_median_h", "fcr_pct", "digital_pct"])
    lines.append(
        f"  network:         {len(made)} practices with measured effect, 2 groups, 2 events"
    )
    lines.append(f"  network space:   {settings_url(city)}/network (expert: outside participant)")
    return lines


def _principal(city: City, username: str) -> Any:
    from civitas.accounts.service import Principal
    from civitas.network.permissions import NetworkPermission as P

    return Principal(city.id, None, f"user:{username}", frozenset({P.TAKE_PART, P.MODERATE}))


def _period_name(city: City, first: int, last: int) -> str:
    """Months back as Trujillo's people write them ("junio – noviembre de 2026")."""
    from datetime import date

    from babel.dates import format_date

    def name(back: int, pattern: str) -> str:
        m = _month(city, back)
        return format_date(date(int(m[:4]), int(m[5:]), 1), pattern, locale="es_PE")

    return f"{name(first, 'MMMM')} – {name(last, 'MMMM y')}"


def settings_url(city: City) -> str:
    from civitas.core.config import get_settings

    return f"{get_settings().public_url}/{city.slug}"


def _musterstadt(db: Session, city: City) -> list[str]:
    trujillo = db.scalar(select(City).where(City.slug == "trujillo"))
    _practice(db, city, MUSTERSTADT)
    manager = _profile(db, city, "manager")
    caseworker = _profile(db, city, "caseworker")
    waste, service = _groups(db)
    for group in (waste, service):
        community.join(db, group, manager)
    community.join(db, service, caseworker)
    talk = db.scalar(
        select(Discussion).where(
            Discussion.group_id == service.id, Discussion.accepted_post_id.is_(None)
        )
    )
    if talk is not None and not community.posts(db, talk):
        community.answer(
            db,
            talk,
            manager,
            body="Wir liegen bei gut 30 % und wollen 40 % erreichen – mit Wissensdatenbank "
            "und Rückrufzusage statt Weiterleitung.",
        )
    lines = [
        "  network:         a practice, an adoption, the Trujillo – Musterstadt partnership, "
        "a benchmarking circle, a contest",
        f"  network space:   {settings_url(city)}/network",
    ]
    if trujillo is None:
        return lines
    hotline = db.scalar(
        select(Practice).where(Practice.city_id == trujillo.id, Practice.topic == "citizen_service")
    )
    if hotline is not None and not any(
        a.city_id == city.id for a in practices.adoptions(db, hotline)
    ):
        practices.adopt(
            db,
            city,
            hotline.id,
            started=_month(city, 8),
            items=[practices.EvidenceIn.model_validate(_windows(city, "fcr_pct"))],
            note="Das Servicecenter löst einfache Anliegen jetzt am Telefon.",
            actor="user:manager",
        )
    if (
        db.scalar(select(Partnership.id).where(Partnership.name == "Trujillo – Musterstadt"))
        is None
    ):
        ship = partnerships.create_partnership(
            db,
            partnerships.PartnershipIn.model_validate(
                {
                    "name": "Trujillo – Musterstadt",
                    "since": 2019,
                    "description": "Alianza para los servicios municipales: atención al vecino, "
                    "residuos y movilidad. Städtepartnerschaft seit 2019.",
                    "partners": [{"city": "trujillo"}, {"city": "musterstadt"}],
                }
            ),
            actor=COORDINATOR,
        )
        who = _principal(city, "network")
        project = partnerships.add_project(
            db,
            ship,
            city,
            who,
            partnerships.ProjectIn.model_validate(
                {
                    "title": "Central de atención de Trujillo",
                    "summary": "La central de atención de Trujillo resuelve más en el primer "
                    "contacto y más rápido; Musterstadt comparte la experiencia de su "
                    "Servicecenter.",
                    "starts_on": f"{_month(city, 11)}-01",
                    "ends_on": f"{int(_month(city, 0)[:4]) + 1}-12-31",
                    "budget": 180000,
                    "currency": "EUR",
                }
            ),
        )
        for aim in (
            {
                "dimension": "citizen_orientation",
                "text": "Resolver más consultas en el primer contacto",
                "city": "trujillo",
                "kpi": "fcr_pct",
                "baseline_month": _month(city, 12),
                "target": 40,
            },
            {
                "dimension": "efficiency",
                "text": "Cerrar las solicitudes más rápido",
                "city": "trujillo",
                "kpi": "close_median_h",
                "baseline_month": _month(city, 12),
                "target": 24,
            },
            {
                "dimension": "transparency",
                "text": "Mostrar en público el estado de cada solicitud",
            },
        ):
            partnerships.add_aim(db, project, city, who, partnerships.AimIn.model_validate(aim))
        for title, back, done in (
            ("Concepto de la central acordado", 10, True),
            ("Capacitación de las operadoras", 6, True),
            ("Base de conocimientos en línea", -2, False),
        ):
            milestone = partnerships.add_milestone(
                db,
                project,
                city,
                who,
                partnerships.MilestoneIn.model_validate(
                    {"title": title, "due_on": f"{_month(city, back)}-28"}
                ),
            )
            if done:
                milestone.done_on = f"{_month(city, back)}-25"
        partners = partnerships.partners(db, ship)
        partnerships.add_mission(
            db,
            project,
            city,
            who,
            partnerships.MissionIn.model_validate(
                {
                    "expert": "Jonas Weber",
                    "organisation": "Bürgerbüro Musterstadt",
                    "partner_id": next(p.id for p in partners if p.city_id == trujillo.id),
                    "starts_on": f"{_month(city, 6)}-03",
                    "ends_on": f"{_month(city, 6)}-14",
                    "purpose": "Capacitar a las operadoras y armar la base de conocimientos.",
                }
            ),
        )
        partnerships.add_report(
            db,
            project,
            city,
            who,
            period=_period_name(city, 6, 1),
            text="Las capacitaciones terminaron; la resolución en el primer contacto sube; "
            "la base de conocimientos sigue.",
        )
    circle = db.scalar(select(Circle))
    if circle is not None and circles.membership(db, circle, city) is None:
        circles.share(db, city, circle, ["csat_pct", "close_median_h", "fcr_pct"])
    if db.scalar(select(Contest.id)) is None:
        contest = contests.open_contest(
            db,
            contests.ContestIn.model_validate(
                {
                    "title": "Buenas Prácticas en Gestión Pública",
                    "description": "Reconoce prácticas de los municipios de la red con efecto "
                    "medido en sus propios indicadores.",
                    "categories": [
                        {"code": "service", "name": "Servicio al ciudadano"},
                        {"code": "environment", "name": "Gestión ambiental"},
                    ],
                    "criteria": [
                        {"code": "impact", "name": "Impacto medido", "weight": 3, "max": 10},
                        {"code": "replicable", "name": "Replicabilidad", "weight": 2, "max": 10},
                        {"code": "participation", "name": "Participación", "weight": 1, "max": 10},
                    ],
                    "closes_on": (utcnow() + timedelta(days=21)).date().isoformat(),
                }
            ),
            actor=COORDINATOR,
        )
        expert = db.scalar(select(Profile).where(Profile.username == "expert"))
        if expert is not None:
            contests.appoint(db, contest, expert, conflicts=[], note="Sin conflictos declarados.")
        for p in db.scalars(select(Practice).where(Practice.status == "published")):
            owner = trujillo if p.city_id == trujillo.id else city
            if p.city_id == owner.id:
                category = "environment" if p.topic == "waste" else "service"
                contests.enter(db, owner, contest, practice_id=p.id, category=category, actor=ACTOR)
    return lines


def load(db: Session, city: City, settings: Settings, password: str) -> list[str]:
    if city.slug == "trujillo":
        return _trujillo(db, city, password)
    if city.slug == "musterstadt":
        return _musterstadt(db, city)
    return []
