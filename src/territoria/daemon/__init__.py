"""``territoria up``: one long-running process that keeps a workspace fresh, observable and recoverable.

``supervisor`` runs each source at its own pace (``schedule``), reacts to changed files and new
sensor observations, retries transient failures, and stops gracefully; ``metrics`` and ``http``
expose health, readiness and Prometheus metrics; ``alerts`` notifies by e-mail and webhook;
``backup`` archives and restores a workspace.
"""
