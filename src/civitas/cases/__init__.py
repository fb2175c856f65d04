"""Service requests over every channel, handled as cases until resolved."""
