"""The appointment as an iCalendar object (RFC 5545) carried by e-mail as an iTIP
message (RFC 5546): METHOD:REQUEST when booked or moved (the same UID, a higher
SEQUENCE), METHOD:CANCEL when cancelled. The event's time carries its time zone, with the
VTIMEZONE the zone needs, so a calendar shows it right wherever the reader is."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from civitas.appointments.models import Appointment, Office
from civitas.cities.models import City
from civitas.core.db import utcnow
from civitas.core.i18n import pick, translate

PRODID = "-//Civitas//Appointments//EN"


def uid(city: City, appointment: Appointment) -> str:
    return f"appointment-{appointment.reference}@{city.jurisdiction_id}"


def calendar(
    city: City,
    office: Office,
    appointment: Appointment,
    *,
    method: str,
    summary: str,
    link: str,
    organiser_email: str | None,
    stamp: datetime | None = None,
) -> str:
    """The iCalendar text for one appointment (``method``: REQUEST or CANCEL)."""
    lang = appointment.language
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid(city, appointment))
    event.add("dtstamp", stamp or utcnow())
    event.add("sequence", appointment.sequence)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(city.timezone)
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", summary)
    office_name = pick(office.name, lang)
    event.add("location", vText(f"{office_name}, {office.address}"))
    event.add("geo", (office.lat, office.lon))
    event.add(
        "description",
        "\n".join(
            [
                translate(lang, "Reference: {reference}", reference=appointment.reference),
                translate(lang, "Cancel or change: {link}", link=link),
            ]
        ),
    )
    event.add("url", link)
    organiser = vCalAddress(f"mailto:{organiser_email or 'noreply@' + city.jurisdiction_id}")
    organiser.params["cn"] = vText(f"{city.name}: {office_name}")
    event.add("organizer", organiser)
    attendee = vCalAddress(f"mailto:{appointment.email}")
    attendee.params["cn"] = vText(appointment.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    cal.add_missing_timezones()
    return str(cal.to_ical().decode())
