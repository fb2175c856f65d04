"""The permissions of proactive services, and the roles it brings (see its manifest)."""

from enum import StrEnum


class ProactivePermission(StrEnum):
    PROACTIVE_RULE_WRITE = "proactive:rule:write"
    PROACTIVE_DECISION_READ = "proactive:decision:read"
    PROACTIVE_DECISION_REVIEW = "proactive:decision:review"  # review and override, audited
    PROACTIVE_RUN_START = "proactive:run:start"
