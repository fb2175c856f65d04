"""The permissions of the learning network (see its manifest) and its outside
participants' role."""

from enum import StrEnum


class NetworkPermission(StrEnum):
    # see the network's space and take part in it: profile, groups, discussions, events,
    # partnerships and contests as a reader, scoring as an appointed juror
    TAKE_PART = "network:participate"
    # write the city's own good practices, mark others' as adopted, enter contests
    PRACTICE_WRITE = "network:practice:write"
    # the city's partnerships (projects, aims, milestones, missions, reports) and its
    # membership of benchmarking circles (which KPIs it shares there)
    CITY_REPRESENT = "network:city:represent"
    # the network's coordinator: review practices, open groups, circles and contests,
    # appoint moderators and jurors, publish results
    MODERATE = "network:moderate"


# an outside participant (expert, national body, partner organisation): an account with
# the network's space and nothing of the city whose user list holds it
NETWORK_EXPERT = "network_expert"
