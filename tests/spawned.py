"""The environment of the processes tests start."""

from __future__ import annotations

#: Python processes started by tests write no bytecode into the folders of the modules they
#: import (``tests/foundation/test_spawned_bytecode.py`` says why)
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}


def bare_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell, without anything of the test session's."""
    return {"PATH": "/usr/bin:/bin", **NO_BYTECODE, **extra}
