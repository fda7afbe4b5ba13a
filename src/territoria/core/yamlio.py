"""YAML reading, and workspace files validated against a pydantic model with every problem located.

Parse errors name the file and line instead of a parser traceback. A file is parsed once; only
when the model rejects it is the YAML composed again (the node tree keeps each key's line), so
that every pydantic error becomes an :class:`Issue` such as
``policies.yaml:12: unknown key 'retension' — did you mean retention?``. All the problems of a
file are collected, not the first one: ``territoria config validate`` lists them all, and a run
that stops on a bad file says everything that is wrong with it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from territoria.core.errors import ConfigError
from territoria.core.suggest import did_you_mean

M = TypeVar("M", bound=BaseModel)

#: libyaml's parser when PyYAML was built with it (the PyPI wheels are): ten times faster on the
#: pack and catalog files every command reads; the same safe constructor either way
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a device or special file")


def present(path: Path, *, folder: bool = False) -> bool:
    """Whether ``path`` is there as a file (a folder with ``folder``), through symbolic links.

    ``False`` only when nothing at all is at the path. Anything else that exists but is not what
    the workspace expects (a folder for a file, a broken link, a FIFO that would block the read)
    is a :class:`ConfigError`, never "absent": policies are access rules, and reading a
    misplaced ``policies.yaml`` as "no policies" would serve the data with the defaults.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.is_symlink():
            return False
        raise ConfigError(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist",
            hint=f"point the link at the {'folder' if folder else 'file'}, or remove it (rm {path})",
        ) from None
    except OSError as exc:  # a link loop, a parent folder that may not be entered, a file as a parent
        raise ConfigError(
            f"{path} cannot be read: {exc.strerror or exc}",
            hint=f"check the path and the permissions of its folders (ls -ld {path.parent})",
        ) from exc
    if stat.S_ISDIR(mode) if folder else stat.S_ISREG(mode):
        return True
    wanted = "folder" if folder else "file"
    raise ConfigError(
        f"{path} is {'a file' if stat.S_ISREG(mode) else _kind(mode)}, not a {wanted}",
        hint=f"territoria reads a {wanted} there: replace it with one, or remove it to use none",
    )


def read_yaml(path: Path) -> Any:
    """The parsed file; a :class:`ConfigError` (which file, why) when it cannot be read or parsed."""
    if not present(path):
        raise ConfigError(f"{path} does not exist", hint="check the path, or create the file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text", hint="save the file as UTF-8") from exc
    except OSError as exc:  # unreadable (permissions, owner), or gone since the caller looked
        raise ConfigError(
            f"{path} cannot be read: {exc.strerror or exc}",
            hint=f"check its permissions and owner (ls -l {path}): the user running territoria must be able to read it",
        ) from exc
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            hint="check the indentation and quoting around that line",
        ) from exc


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100),
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Issue:
    """One problem of a configuration file: where (file and line), what, and how to fix it."""

    file: str
    line: int | None
    message: str
    hint: str | None = None
    slug: str = "invalid-value"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (f" — {self.hint}" if self.hint else "")


class InvalidConfigFile(ConfigError):
    """A configuration file the model rejects; ``issues`` holds every problem, located."""

    slug = "invalid-config"

    def __init__(self, label: str, issues: list[Issue], docs: str) -> None:
        count = f"{len(issues)} problems" if len(issues) > 1 else "1 problem"
        super().__init__(
            f"{label} is invalid ({count}):\n" + "\n".join(f"  {i}" for i in issues),
            hint=f"fix the problems above; {docs} lists the keys",
        )
        self.issues = issues


def load_model(
    path: Path,
    model: type[M],
    *,
    label: str | None = None,
    docs: str = "docs/workspace.md",
    examples: Mapping[str, str] | None = None,
) -> M:
    """The file validated by ``model``; :class:`InvalidConfigFile` with every located problem else.

    ``examples``: a well-formed value of each top-level key, shown with a malformed one.
    """
    shown = label or str(path)
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        issue = Issue(shown, 1, f"must contain a mapping (key: value lines), not {type(data).__name__}")
        raise InvalidConfigFile(shown, [issue], docs)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidConfigFile(shown, issues_of(exc, model, compose(path), shown, examples), docs) from exc
    except ConfigError as exc:  # a validator that knows better than pydantic (e.g. an unknown plugin name)
        raise ConfigError(f"{shown} is invalid: {exc.message}", hint=exc.hint) from exc


def validate_data(
    data: Mapping[str, Any],
    model: type[M],
    *,
    label: str,
    docs: str = "docs/workspace.md",
    examples: Mapping[str, str] | None = None,
) -> M:
    """``data`` (built in code rather than read from a file) validated, with the same messages."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidConfigFile(label, issues_of(exc, model, None, label, examples), docs) from exc


def issues_of(
    exc: ValidationError,
    model: type[BaseModel],
    root: yaml.Node | None,
    label: str,
    examples: Mapping[str, str] | None = None,
    *,
    prefix: tuple[int | str, ...] = (),
) -> list[Issue]:
    """One :class:`Issue` per error; ``prefix``: where in the file the validated mapping sits."""
    issues = [_issue(err, model, root, label, examples or {}, prefix) for err in exc.errors()]
    return sorted(dict.fromkeys(issues), key=lambda i: (i.line or 0, i.message))


def compose(path: Path) -> yaml.Node | None:
    """The node tree of a file that parses (lines of keys), ``None`` for one that does not."""
    try:
        node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return node


def line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest key (or list item) of ``loc`` present in the YAML tree.

    Parts absent from the tree are skipped: a missing key points at its parent, and the
    union-member tags pydantic inserts in ``loc`` (``function-after[...]``) are not in the file.
    """
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
            if found:
                line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def _issue(
    err: ErrorDetails,
    model: type[BaseModel],
    root: yaml.Node | None,
    label: str,
    examples: Mapping[str, str],
    prefix: tuple[int | str, ...],
) -> Issue:
    loc = err["loc"]
    dotted = _dotted((*prefix, *loc))
    line = line_of(root, (*prefix, *loc))
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _keys_at(model, loc[:-1])
        hint = did_you_mean(str(loc[-1]), known) if known else None
        if hint is None and known:
            hint = "known keys here: " + ", ".join(known)
        return Issue(label, line, f"unknown key {dotted!r}", hint, "unknown-key")
    example = examples.get(str(loc[0])) if loc else None
    if kind == "missing":
        return Issue(label, line, f"missing key {dotted!r}", example and f"e.g. {example}", "missing-key")
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        hint = did_you_mean(str(err["input"]), choices) or f"use one of {', '.join(choices)}"
        return Issue(label, line, f"{dotted}: unknown value {err['input']!r}", hint, "unknown-value")
    # a value of the wrong shape (a string for a list, a list for a mapping): show the right shape
    shape = kind.endswith("_type") or kind in ("model_attributes_type", "dataclass_type")
    hint = f"e.g. {example}" if shape and example else None
    return Issue(label, line, f"{dotted or '(top)'}: {err['msg'].removeprefix('Value error, ')}", hint)


def _dotted(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_tag(part):
            text += f".{part}" if text else part
    return text


def _is_tag(part: int | str) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("list", "dict", "str", "int", "float", "bool"))


def _keys_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys a mapping at ``loc`` accepts, following the model's annotations."""
    tp: Any = model
    for part in loc:
        nxt = _step(tp, part)
        if nxt is not None:
            tp = nxt
    return list(_fields(_unwrap(tp)))


def _step(tp: Any, part: int | str) -> Any:
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return next((s for s in (_step(arm, part) for arm in get_args(tp)) if s is not None), None)
    if isinstance(part, int) and origin in (list, tuple, set, frozenset):
        return get_args(tp)[0]
    if isinstance(part, str) and origin in (dict, Mapping):
        return get_args(tp)[1]
    return _fields(tp).get(str(part))


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        arms = [a for a in get_args(tp) if a is not type(None)]
        if len(arms) == 1:
            return _unwrap(arms[0])
    return tp


def _fields(tp: Any) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {(f.alias or name): f.annotation for name, f in tp.model_fields.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return {f.name: hints[f.name] for f in dataclasses.fields(tp)}
    return {}
