"""Hub'Eau (water data) connector."""
