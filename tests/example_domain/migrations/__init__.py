"""The notice board's own branch of the schema's history."""
