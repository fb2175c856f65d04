"""Places: the city's address register, the geocoder on it, and the city's own base map."""
