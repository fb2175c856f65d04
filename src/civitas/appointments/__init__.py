"""Appointments and queues at the city's offices (see manifest.py)."""
