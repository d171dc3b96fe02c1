"""YAML that remembers line numbers, so every content error can name its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import ContentError, ContentProblem

__all__ = ["LineDict", "LineList", "load_yaml", "parse_yaml", "line_of"]


class LineDict(dict):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A sequence that knows its line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        # Keys are always text: YAML 1.1 would otherwise read `yes:`/`no:` as booleans.
        if isinstance(key_node, yaml.ScalarNode):
            key = loader.construct_scalar(key_node)
        else:
            key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        key = str(key) if not isinstance(key, str) else key
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # Dates stay text here; the typed models parse them, so errors name the field.
    return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


def parse_yaml(text: str, path: str, *, first_line: int = 1) -> Any:
    """Parse YAML text; a syntax error becomes a ContentError naming file and line."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else None
        problem = exc.problem or str(exc)
        raise ContentError(
            [ContentProblem(path, line, f"this is not valid YAML: {problem}. Check indentation and quotes.")]
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError([ContentProblem(path, None, f"this is not valid YAML: {exc}")]) from None
    if first_line != 1:
        _shift_lines(data, first_line - 1)
    return data


def _shift_lines(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        data.item_lines = [v + offset for v in data.item_lines]
        for value in data:
            _shift_lines(value, offset)


def load_yaml(path: Path) -> Any:
    """Read and parse one YAML file, with file-named errors for unreadable or undecodable files."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError([ContentProblem(str(path), None, "the file is not UTF-8 text")]) from None
    except OSError as exc:
        raise ContentError([ContentProblem(str(path), None, f"cannot read the file: {exc.strerror}")]) from None
    return parse_yaml(text, str(path))


def line_of(data: Any, loc: tuple | list) -> int | None:
    """The line of the value at `loc` (keys and indexes), or of the nearest container above it."""
    best = getattr(data, "line", None) or None
    current = data
    for part in loc:
        if isinstance(current, LineDict) and isinstance(part, str) and part in current:
            best = current.key_lines.get(part, best)
            current = current[part]
        elif isinstance(current, LineList) and isinstance(part, int) and 0 <= part < len(current):
            best = current.item_lines[part]
            current = current[part]
        else:
            break
    return best
