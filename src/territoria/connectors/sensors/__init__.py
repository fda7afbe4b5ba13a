"""Connector reading the sensor store's aggregates into the pipeline."""
