"""LoRaWAN sensor ingestion: device registry, decoders, observation store, MQTT listener and the
OGC SensorThings API (``territoria.sensors.sta``)."""
