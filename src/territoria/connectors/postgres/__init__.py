"""PostgreSQL/PostGIS connector."""
