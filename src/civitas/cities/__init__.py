"""Cities (tenants) and their departments."""
