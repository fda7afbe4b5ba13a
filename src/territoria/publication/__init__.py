"""Publication: what leaves the store, between the pipelines and the API.

- ``snapshot``: the snapshot writer (``.territoria/publication/<run>/``), run by the ``hooks``
  run hook at the end of each run, with its catalog and boundaries (``snapshot_catalog``);
  ``reader``: the API's read side of the current snapshot;
- ``formats``: the one registry of output formats (``territoria.formats``), used by both
  ``territoria export`` and ``/api/datasets/{id}/export``; built-ins in ``tabular`` and ``linked``;
- ``export``: the CLI's export of a published dataset, audited when it is not open;
- ``dcat``: the DCAT-AP catalog, as JSON-LD and Turtle (``turtle``).
"""
