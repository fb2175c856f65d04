"""``Base.metadata`` made complete: the core's tables, then every installed domain's models
(their manifests list the modules). Alembic and the tests import ``Base`` from here."""

from civitas.core import plugins
from civitas.core.audit import AuditEntry
from civitas.core.background import Job
from civitas.core.db import Base
from civitas.core.idempotency import IdempotencyRecord
from civitas.core.sequences import Counter

plugins.domains()  # imports each domain's models (and KPIs, subscribers, job kinds)

__all__ = ["AuditEntry", "Base", "Counter", "IdempotencyRecord", "Job"]
