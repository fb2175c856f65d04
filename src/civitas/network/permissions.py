"""The permissions of the learning network (see its manifest)."""

from enum import StrEnum


class NetworkPermission(StrEnum):
    # write the city's own good practices and mark others' as adopted
    PRACTICE_WRITE = "network:practice:write"
    # review practices submitted to the network (the network's coordinator)
    PRACTICE_REVIEW = "network:practice:review"
