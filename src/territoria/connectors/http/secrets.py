"""Secrets referenced as ``${VAR}`` in source YAML, resolved from the environment only.

A resolved value is registered so that every message territoria writes (fetch records, errors,
logs) can be scrubbed of it; the records keep the ``${VAR}`` reference instead.
"""

from __future__ import annotations

import os
import re
from typing import Any

from territoria.core.errors import ConfigError

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: header and parameter names whose value is a credential: a literal value there is refused
SECRET_NAMES = {"authorization", "x-api-key", "apikey", "api_key", "api-key", "token", "access_token", "password"}


class Secrets:
    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.values: set[str] = set()

    def resolve(self, value: str, *, name: str = "") -> str:
        """Substitute ``${VAR}`` references; refuse a literal credential."""
        if name.lower() in SECRET_NAMES and not REFERENCE.search(value):
            raise ConfigError(
                f"source {self.dataset!r}: {name} is written in clear in the source file",
                hint=f"put it in an environment variable and write `{name}: ${{MY_VAR}}`",
            )

        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                raise ConfigError(
                    f"source {self.dataset!r} needs the environment variable {var}, which is not set",
                    hint=f"export {var}=... before running territoria",
                )
            secret = os.environ[var]
            if secret:
                self.values.add(secret)
            return secret

        return REFERENCE.sub(substitute, value)

    def resolve_map(self, mapping: dict[str, Any]) -> dict[str, str]:
        return {k: self.resolve(str(v), name=k) for k, v in mapping.items()}

    def redact(self, text: str) -> str:
        for secret in sorted(self.values, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text
