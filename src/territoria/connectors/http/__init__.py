"""HTTP(S) download connector and the HTTP layer the other remote connectors share."""

from territoria.connectors.http.client import Download, HttpClient, HttpOptions, check_url, expect, parse_json

__all__ = ["Download", "HttpClient", "HttpOptions", "check_url", "expect", "parse_json"]
