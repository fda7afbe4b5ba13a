"""OGC SensorThings API v1.1 (read) over the sensor store."""
