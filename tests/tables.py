"""Looking at the test database's tables without the ORM."""

from __future__ import annotations

from typing import Any


def non_empty(conn: Any, names: list[str]) -> set[str]:
    """The tables among ``names`` that hold a row, found by one query on either database."""
    from sqlalchemy import text

    probe = " UNION ALL ".join(
        f"SELECT '{n}' AS t FROM (SELECT 1 FROM {n} LIMIT 1) AS {n}_row" for n in names
    )
    return set(conn.execute(text(probe)).scalars())
