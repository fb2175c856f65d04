"""Saved filters of the case queue: each member of staff names the views they use."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civitas.cases.models import SavedFilter
from civitas.cities.models import City
from civitas.cities.service import enter_city
from civitas.core.errors import InvalidInput, Problem
from civitas.core.i18n import N_

# what a saved view keeps of the queue's address (not the page, not the language)
KEPT = ("status", "department", "service", "channel", "assignee", "overdue", "q", "sort")
QUEUE_PARAMS = (*KEPT, "page")  # what the queue reads of its address
MAX_PER_USER = 20


def kept_query(query: str) -> str:
    """What a view keeps of a queue's query string: its filters and order, in one form."""
    return urlencode([(k, v) for k, v in parse_qsl(query) if k in KEPT and v][:20])[:500]


def saved_filters(db: Session, city: City, *, user_id: int) -> list[SavedFilter]:
    enter_city(db, city)
    return list(
        db.scalars(
            select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)
        )
    )


def save_filter(db: Session, city: City, *, user_id: int, name: str, query: str) -> SavedFilter:
    """Keep the queue's filters under a name (the same name again replaces them)."""
    enter_city(db, city)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise InvalidInput(
            "Give the view a name.",
            problems=[Problem("filter_name", N_("Give the view a name of 1 to 80 characters."))],
        )
    kept = kept_query(query)
    found = db.scalar(
        select(SavedFilter).where(SavedFilter.user_id == user_id, SavedFilter.name == name)
    )
    if found is None:
        mine = saved_filters(db, city, user_id=user_id)
        if len(mine) >= MAX_PER_USER:
            raise InvalidInput(
                "Too many saved views.",
                problems=[
                    Problem(
                        "filter_name",
                        N_("Keep at most {count} views; delete one first."),
                        {"count": MAX_PER_USER},
                    )
                ],
            )
        found = SavedFilter(user_id=user_id, name=name, query=kept)
        db.add(found)
    else:
        found.query = kept
    db.flush()
    return found


def delete_filter(db: Session, city: City, *, user_id: int, filter_id: int) -> int:
    """Delete one of the user's own views (another's is not theirs to delete)."""
    enter_city(db, city)
    done = db.execute(
        delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user_id)
    )
    return int(getattr(done, "rowcount", 0) or 0)
