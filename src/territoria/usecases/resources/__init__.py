"""Use case 2: resources — waste, land and water."""
