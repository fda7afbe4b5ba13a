"""Water stress × heat: the companion pack of the resources and climate packs (see pack.yaml)."""
