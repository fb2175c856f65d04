"""Proactive services: rules over the register, decisions, offers and payments."""
