"""The permissions of appointments and queues (see its manifest for who holds them)."""

from enum import StrEnum


class AppointmentPermission(StrEnum):
    OFFICE_WRITE = "appointments:office:write"  # an office's hours, counters and services
    APPOINTMENT_BOOK = "appointments:book"  # book for a caller, check in, hand out tickets
    QUEUE_SERVE = "appointments:serve"  # work a counter: call, serve, transfer
