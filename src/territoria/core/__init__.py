"""Building blocks shared by every layer: errors, identifiers, hashing."""
