"""Civitas: the open-source platform on which cities run their services for residents."""

__version__ = "0.1.0"
