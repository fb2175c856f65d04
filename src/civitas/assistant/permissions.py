"""The permissions of the resident assistant (see its manifest)."""

from enum import StrEnum


class AssistantPermission(StrEnum):
    # the hotline: see conversations handed over, take one, reply, hand back, close
    ASSISTANT_CONVERSE = "assistant:converse"
    # teach it (examples, synonyms), approve a retrained model, set channels and retention
    ASSISTANT_TEACH = "assistant:teach"
