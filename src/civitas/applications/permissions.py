"""The permissions of online applications (see its manifest for who holds them)."""

from enum import StrEnum


class ApplicationPermission(StrEnum):
    FORM_WRITE = "applications:form:write"  # edit, save and publish a service's form
    APPLICATION_READ = "applications:application:read"  # answers, documents, payments
    APPLICATION_DECIDE = "applications:application:decide"  # write, ask, grant or refuse
    PAYMENT_RECORD = "applications:payment:record"  # record a transfer, a refund paid
