"""Online applications' background work: the test payment provider's notifications (sent
later and twice, as real providers do), and withdrawing applications whose fee was not
paid within the city's ``unpaid_days``."""

from __future__ import annotations

from datetime import timedelta

import structlog
from huey import crontab
from sqlalchemy import select

from civitas.applications import applying, handling, payments, testpsp
from civitas.applications.models import Application
from civitas.cities.models import City
from civitas.cities.service import get_city_by_slug
from civitas.core import plugins
from civitas.core.db import session_scope, utcnow
from civitas.core.errors import CivitasError
from civitas.core.jobs import huey
from civitas.core.tenancy import bind_all_cities

log = structlog.get_logger("civitas.jobs")
DUPLICATE_AFTER_S = 5


class NotDeliveredError(Exception):
    """The merchant did not take the notification; Huey tries again."""


@huey.task(retries=6, retry_delay=20)  # type: ignore[untyped-decorator]
def testpsp_notify(session_id: str, event_id: str) -> int:
    """Post one signed notification of a test-provider payment to the merchant's address."""
    with session_scope() as db:
        found = testpsp.get_session(db, session_id)
        city = get_city_by_slug(db, found.merchant)
        body, header = payments.signed(city, testpsp.notification(found, event_id))
        url = found.notify_url
    status = testpsp.post(url, body, header)
    if status == 0 or status >= 500:
        raise NotDeliveredError(f"{url} answered {status}")
    return status


def send_notifications(session_id: str) -> None:
    """The provider tells the merchant: now, and the same event again a little later."""
    event_id = payments.new_event_id()
    try:
        testpsp_notify.schedule((session_id, event_id), delay=1)
        testpsp_notify.schedule((session_id, event_id), delay=DUPLICATE_AFTER_S)
    except Exception as exc:  # the merchant asks for the status when the resident is back
        log.warning("could not queue a test-provider notification", error=str(exc))


@huey.periodic_task(crontab(minute="35", hour="3"))  # type: ignore[untyped-decorator]
def withdraw_unpaid() -> int:
    """Nightly: applications whose fee was not paid within the city's days are withdrawn
    (the applicant is told; nothing was paid, so nothing is paid back)."""
    count = 0
    with session_scope() as db:
        bind_all_cities(db)
        cities = [c for c in db.scalars(select(City)) if plugins.enabled(c, "applications")]
    for city in cities:
        with session_scope() as db:
            limit = payments.settings_of(db, city).unpaid_days
            old = utcnow() - timedelta(days=limit)
            due = db.scalars(
                select(Application).where(
                    Application.status == applying.SUBMITTED,
                    Application.fee_minor > 0,
                    Application.paid_at.is_(None),
                    Application.submitted_at < old,
                )
            ).all()
            for application in due:
                try:
                    handling.withdraw(db, city, applying.open_application(db, city, application))
                    count += 1
                except CivitasError as exc:
                    log.warning("could not withdraw an unpaid application", error=str(exc))
    return count
