"""The learning network between cities: good practices with measured effect (and, to
come, communities of practice, benchmarking circles, partnerships and contests)."""
