"""The HTTP API: REST resources, OGC API Features and the DCAT-AP feed over the current publication."""

from territoria.api.app import create_app

__all__ = ["create_app"]
