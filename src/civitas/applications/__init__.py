"""Online applications for the city's services (see manifest.py)."""
