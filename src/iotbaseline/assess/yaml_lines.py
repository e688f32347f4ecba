"""Load YAML and remember the line of every key, so a validation error on
``declarations.support_period.end`` can be reported as ``profile.yaml:14: declarations…``.

PyYAML's composer keeps a start mark on every node; we walk the node tree once and build the
plain Python value beside a ``{path: line}`` table. Only safe tags are constructed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlLoadError(ValueError):
    """The text is not valid YAML (with the 1-based line of the problem when known)."""

    def __init__(self, message: str, line: int | None, path: Path = ()) -> None:
        super().__init__(message)
        self.line = line
        self.path = path  # the key path of the value at fault, when known


@dataclass
class LocatedYaml:
    """The loaded value and the 1-based line where each path (key or list item) starts."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Line of ``path`` or of its nearest ancestor present in the file."""
        current = tuple(path)
        while current:
            if current in self.lines:
                return self.lines[current]
            current = current[:-1]
        return self.lines.get((), None)


def _construct(node: yaml.Node, path: Path, lines: dict[Path, int], constructor: Any) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlLoadError(
                    f"unsupported key type {type(key).__name__}", key_node.start_mark.line + 1
                )
            child = (*path, str(key))
            if key in result:
                raise YamlLoadError(f"duplicate key {key!r}", key_node.start_mark.line + 1,
                                    child)
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, lines, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            items.append(_construct(item, child, lines, constructor))
        return items
    try:
        return constructor.construct_object(node, deep=True)
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. 2030-13-01 as a timestamp
        raise YamlLoadError(f"invalid value {node.value!r}: {exc}", node.start_mark.line + 1,
                            path) from exc


def load_located_yaml(text: str) -> LocatedYaml:
    """Parse one YAML document with safe constructors; raise ``YamlLoadError`` on bad YAML."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlLoadError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from exc
    if node is None:
        return LocatedYaml(data=None, lines={})
    lines: dict[Path, int] = {}
    constructor = yaml.SafeLoader("")
    try:
        data = _construct(node, (), lines, constructor)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlLoadError(f"invalid YAML: {exc}", mark.line + 1 if mark else None) from exc
    return LocatedYaml(data=data, lines=lines)
