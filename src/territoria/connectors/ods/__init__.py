"""Opendatasoft Explore API v2.1 connector."""
