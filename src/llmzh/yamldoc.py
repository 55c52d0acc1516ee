"""One parse of a YAML document: its data, and the node tree that gives the line of any field found wrong later.

A module of its own so that PyYAML is imported only when a catalog file is parsed: `llmzh list` reads the validated
catalog from its JSON cache and never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from llmzh.errors import CatalogError


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that refuses duplicate mapping keys instead of silently keeping the last."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse(text: str, file: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree and its data; malformed YAML is a CatalogError naming `file` and the line."""
    try:
        loader = StrictLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError([f"{file}{line}: malformed YAML: {reason}"]) from exc
    except (ValueError, RecursionError) as exc:  # a number of over 4300 digits, nesting past Python's stack
        what = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long to read"
        raise CatalogError([f"{file}: malformed YAML: {what}"]) from exc
    return node, data


def line_of(root: yaml.Node | None, keys: Sequence[str | int]) -> int | None:
    """Line of the node reached by following `keys` (mapping keys, list indexes) from `root`, or of the deepest
    node on the way that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line
