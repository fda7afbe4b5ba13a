"""The ``territoria`` command line (Typer + Rich)."""
