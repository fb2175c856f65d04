"""Online applications' periodic work (none yet)."""
