"""YAML reading with errors that name the file and line instead of a parser traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from territoria.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

#: libyaml's parser when PyYAML was built with it (the PyPI wheels are): ten times faster on the
#: pack and catalog files every command reads; the same safe constructor either way
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text", hint="save the file as UTF-8") from exc
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            hint="check the indentation and quoting around that line",
        ) from exc


def load_model(path: Path, model: type[M]) -> M:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must contain a mapping (key: value lines), not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise ConfigError(f"{path} is invalid: {problems}", hint="see docs/workspace.md for the expected keys") from exc
    except ConfigError as exc:  # a validator that knows better than pydantic (e.g. an unknown plugin name)
        raise ConfigError(f"{path} is invalid: {exc.message}", hint=exc.hint) from exc


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100),
        encoding="utf-8",
    )
