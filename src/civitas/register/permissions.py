"""The permissions of the resident register, and the roles it brings (see its manifest)."""

from enum import StrEnum


class RegisterPermission(StrEnum):
    REGISTER_PERSON_READ = "register:person:read"  # always with a purpose, always logged
    REGISTER_EVENT_RECORD = "register:event:record"


REGISTRAR = "registrar"  # the registry office (or its system feed): records life events
