"""The permissions of service requests and their cases (see the manifest)."""

from enum import StrEnum


class CasesPermission(StrEnum):
    CASES_REQUEST_READ = "cases:request:read"
    CASES_REQUEST_FILE = "cases:request:file"  # file a request for a caller or walk-in
    CASES_REQUEST_HANDLE = "cases:request:handle"  # status, notes, assignment
