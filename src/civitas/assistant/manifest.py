"""The resident assistant: a chatbot in the city's languages on the portal and on
messaging apps (WhatsApp, Telegram), which files requests, answers from the catalogue,
the timetable and the sensors, and hands a conversation to the hotline."""

from civitas.assistant.permissions import AssistantPermission as P
from civitas.core.i18n import N_
from civitas.core.permissions import Role
from civitas.core.plugins import Domain, NavEntry

MANIFEST = Domain(
    name="assistant",
    title=N_("Resident assistant (chatbot)"),
    package="civitas.assistant",
    optional=True,
    requires=("catalogue", "places", "cases", "residents", "insight"),
    modules=("civitas.assistant.models", "civitas.assistant.channels", "civitas.assistant.kpis"),
    permissions=tuple(P),
    grants={
        Role.AGENT: frozenset({P.ASSISTANT_CONVERSE}),
        Role.MANAGER: frozenset({P.ASSISTANT_CONVERSE, P.ASSISTANT_TEACH}),
    },
    web="civitas.assistant.web:install",
    tasks="civitas.assistant.tasks",
    demo="civitas.assistant.demo:load",
    nav=(
        NavEntry(N_("Ask the assistant"), "assistant", audience="resident"),
        NavEntry(N_("Assistant: conversations"), "staff/assistant", P.ASSISTANT_CONVERSE),
        NavEntry(N_("Assistant: teaching"), "staff/assistant/teach", P.ASSISTANT_TEACH, admin=True),
    ),
)
