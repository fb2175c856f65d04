"""Recycling with formalised waste pickers (issue 7); its manifest declares the slice."""
