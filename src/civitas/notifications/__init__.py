"""Messages to people (e-mail for now), written to an outbox in the same transaction as the
change they report, and delivered by the background worker."""
