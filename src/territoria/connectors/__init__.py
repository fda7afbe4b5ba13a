"""Connectors fetch a source's payload into the landing area, only when it changed.

The interface is in ``spec.py``; connectors are registered through the
``territoria.connectors`` entry point group, built-ins included.
"""

from territoria.connectors.spec import Connector, FetchContext, FetchRecord, FetchResult, get_connector

__all__ = ["Connector", "FetchContext", "FetchRecord", "FetchResult", "get_connector"]
