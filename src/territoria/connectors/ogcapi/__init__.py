"""OGC API Features connector."""
