"""Built-in use-case packs (YAML, SQL and schemas), registered as ``territoria.packs`` entry points."""
