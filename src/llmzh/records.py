"""Catalog records to and from plain JSON values, for the on-disk cache: data that cannot run code when loaded.

A record is stored as the list of its field values in order; its type hints say how to rebuild each one (records,
tuples, enums, optionals, mappings of JSON values). Every value read back is type-checked against the hints, so a
planted or damaged cache file of the right shape is refused (`ValueError`), never trusted. The cache keys
include `SCHEMA`, so a file written under other record definitions is never decoded.
"""

from __future__ import annotations

import enum
import types
import typing
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from llmzh.schema import RECORD_TYPES

# Changes whenever a record gains, loses, renames or retypes a field.
SCHEMA = zlib.crc32(repr([(cls.__name__, cls.__annotations__) for cls in RECORD_TYPES]).encode())

Decoder = Callable[[Any], Any]
_DECODERS: dict[Any, Decoder] = {}


def encode(value: Any) -> Any:
    """A record (or tuple, enum, mapping, scalar) as JSON values; records become lists of their fields."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def decode(tp: Any, value: Any) -> Any:
    """Rebuild a value of type `tp` from `encode`'s output; raises ValueError if it does not have that shape."""
    try:
        return _decoder(tp)(value)
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise ValueError(f"not a cached {getattr(tp, '__name__', tp)}: {error}") from None


def _mapping(value: Any) -> Any:
    # What json.loads returns holds only JSON values under text keys: the mapping itself is all there is to check.
    if type(value) is not dict:
        raise TypeError("expected a mapping")
    return value


def _decoder(tp: Any) -> Decoder:
    found = _DECODERS.get(tp)
    if found is None:
        found = _DECODERS[tp] = _build(tp)
    return found


def _build(tp: Any) -> Decoder:
    origin = typing.get_origin(tp)
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if item_tp in (str, int, float, bool):
            allowed = frozenset(_SCALARS[item_tp])

            def scalars(value: Any) -> tuple[Any, ...]:
                if type(value) is not list or not allowed.issuperset(map(type, value)):
                    raise TypeError(f"expected a list of {item_tp.__name__}")
                return tuple(value)

            return scalars
        item = _decoder(item_tp)

        def as_tuple(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise TypeError("expected a list")
            return tuple(map(item, value))

        return as_tuple
    if origin is Mapping or origin is dict:
        return _mapping
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        return lambda v: members[v]
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        return _record(tp)
    raise TypeError(f"no decoder for {tp!r}")  # a type this module does not know (scalars are checked in _record)


_SCALARS: dict[type, tuple[type, ...]] = {str: (str,), int: (int,), float: (float, int), bool: (bool,)}


def _record(cls: Any) -> Decoder:
    size = len(cls._fields)
    plan: list[_Plan] = []  # made on first use: Figure.alt is a Figure

    def rebuild(value: Any) -> Any:
        if not plan:
            plan.append(_plan(cls))
        plain, nested = plan[0]
        if type(value) is not list or len(value) != size:
            raise TypeError(f"expected {size} fields for {cls.__name__}")
        for i, allowed in plain:
            if type(value[i]) not in allowed:
                raise TypeError(f"{cls.__name__}: unexpected {type(value[i]).__name__}")
        if nested:
            value = value.copy()
            for i, decoder, optional in nested:
                if value[i] is not None or not optional:
                    value[i] = decoder(value[i])
        return tuple.__new__(cls, value)  # what the record's own __new__ does, minus a Python call per record

    return rebuild


# A record's fields by index: those of scalar (or optional scalar) type with the types they may hold, checked
# inline; the others with their decoders and whether None is allowed.
_Plan = tuple[tuple[tuple[int, tuple[type, ...]], ...], tuple[tuple[int, Decoder, bool], ...]]


def _plan(cls: Any) -> _Plan:
    plain: list[tuple[int, tuple[type, ...]]] = []
    nested: list[tuple[int, Decoder, bool]] = []
    hints = typing.get_type_hints(cls)
    for i, tp in enumerate(hints[name] for name in cls._fields):
        optional = typing.get_origin(tp) in (types.UnionType, typing.Union)
        if optional:
            (tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
        if tp in _SCALARS:
            plain.append((i, (*_SCALARS[tp], type(None)) if optional else _SCALARS[tp]))
        else:
            nested.append((i, _decoder(tp), optional))
    return tuple(plain), tuple(nested)
