"""Air quality from low-cost sensors: sensors and reference stations, data pushed in
sensor.community's format or imported from CSV, quality control, calibration, the public
indices (US EPA 2024, Peru's INCA, the European AQI, Germany's UBA index), residents'
pages and alerts, open data."""
