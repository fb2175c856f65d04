"""The city's greenhouse-gas inventory after the GHG Protocol for Cities (GPC), BASIC and
BASIC+, with activity data from Civitas itself where it has it, dated emission factors
with their sources, dated GWP sets, and the emissions of the city's own services."""
