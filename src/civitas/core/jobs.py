"""Background jobs through one mechanism: Huey.

* ``sqlite`` (default): an embedded queue in ``var/jobs.db``; no extra server.
* ``redis``: Redis as the broker, for several workers and scale.
* ``immediate``: run tasks in the calling process (tests of the task bodies only).

Run the worker with ``civitas worker``. The web request only enqueues.
"""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey

from civitas.core.config import Settings, get_settings


def build_huey(settings: Settings, name: str = "civitas") -> Huey:
    """The queue the settings ask for; ``name`` keeps queues apart on one broker."""
    if settings.jobs_backend == "redis":
        return RedisHuey(name, url=settings.redis_url, utc=True)
    if settings.jobs_backend == "immediate":
        return Huey(name, immediate=True, utc=True)
    settings.jobs_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.jobs_path), utc=True)


huey: Huey = build_huey(get_settings())
