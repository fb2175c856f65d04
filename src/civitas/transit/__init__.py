"""Public transport: GTFS timetables and GTFS-Realtime, arrivals and crowding at stops,
a journey planner (RAPTOR) and the mobility observatory."""
