"""The example's one permission and the role that holds it."""

from enum import StrEnum


class ExamplePermission(StrEnum):
    NOTICES_READ = "example:notices:read"


NOTICE_KEEPER = "notice_keeper"
