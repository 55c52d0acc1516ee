"""Checks on data from outside llmzh (a Hub, a mirror, a man-in-the-middle, a file in the cache) before it is used.

Everything here is pure: values in, a value or `Untrusted` out. `hub.py` applies these at its boundary, so that
no identifier a server sent reaches a file path, no malformed figure is cached, and no unbounded count reaches the
estimator. Terminal output of such strings goes through `shown`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

COMMIT = re.compile(r"[0-9a-f]{40}")  # a git commit id as the Hub gives it (huggingface_hub's REGEX_COMMIT_HASH)
SHA256 = re.compile(r"[0-9a-f]{64}")
# An ETag becomes a file name in the cache (`blobs/<etag>`): the Hub's are a sha256 or a git blob id; anything else
# that is a plain name (a mirror's own scheme) is accepted, nothing with a separator, a dot-name or a control char.
ETAG = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")

# Bounds on the counts a config.json can give, each well above the largest published model (2026: 126 layers in
# Llama-3.1-405B, 256 routed experts in DeepSeek-V3, vocabularies of 256k entries, hidden sizes of 16-53k,
# contexts of 10M tokens). A value past them is an error in the file or a hostile server, not a model.
LAYERS_MAX = 4096
HEADS_MAX = 4096
WIDTH_MAX = 1 << 20  # hidden and intermediate sizes
VOCAB_MAX = 1 << 24
EXPERTS_MAX = 1 << 16
POSITIONS_MAX = 1 << 30
COUNT_BOUNDS: dict[str, int] = {
    **dict.fromkeys(("num_hidden_layers", "num_layers", "n_layer", "n_layers", "num_decoder_layers"), LAYERS_MAX),
    **dict.fromkeys(
        ("num_attention_heads", "num_key_value_heads", "n_head", "multi_query_group_num", "num_kv_heads"), HEADS_MAX
    ),
    **dict.fromkeys(
        (
            "hidden_size",
            "intermediate_size",
            "ffn_hidden_size",
            "moe_intermediate_size",
            "n_embd",
            "d_model",
            "head_dim",
        ),
        WIDTH_MAX,
    ),
    **dict.fromkeys(("vocab_size", "padded_vocab_size"), VOCAB_MAX),
    **dict.fromkeys(("num_experts", "n_routed_experts", "num_local_experts", "num_experts_per_tok"), EXPERTS_MAX),
    **dict.fromkeys(("max_position_embeddings", "seq_length", "n_positions", "max_sequence_length"), POSITIONS_MAX),
}
INT_MAX = 1 << 63  # any other whole number: what a 64-bit field holds (a 500-digit integer is refused)
DEPTH_MAX = 16  # nesting of objects and lists (real configs nest text_config / vision_config / rope_scaling: 3)
NODES_MAX = 200_000  # values in all (real configs: a few hundred; layer_types lists: a few hundred more)

HUB_COUNT_MAX = 10**15  # downloads, likes, parameters, file sizes: larger than any the Hub has
NAME_MAX = 255  # bytes in one path component (Linux, macOS; NTFS counts 255 UTF-16 units)
PATH_MAX = 4096  # bytes in a whole path (Linux)


class Untrusted(ValueError):
    """A value from outside that fails a check; the message names the field and what is wrong."""


# ---------------------------------------------------------------- terminal


_VISIBLE = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _hidden(ch: str) -> bool:
    """Characters that act on the terminal or reorder what it shows: C0/C1 controls, DEL, format characters (bidi
    overrides, zero-width), line and paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") and ch != "\u200d"


def shown(text: str) -> str:
    """`text` safe to print: every control or invisible formatting character as a visible escape (\\x1b, \\u202e)."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(ch) if _hidden(ch) else ch for ch in text)


def redact_url(url: str) -> str:
    """`url` without the password (or token) of a `user:pass@` part, for messages and output."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)


# ---------------------------------------------------------------- identifiers


def commit_id(value: object, what: str = "commit id") -> str:
    if not isinstance(value, str) or not COMMIT.fullmatch(value):
        raise Untrusted(f"malformed {what} {shown(repr(value)[:80])} (expected 40 hex digits)")
    return value


def etag_name(value: str) -> str:
    """An ETag as huggingface_hub names a cache file after it (quotes and W/ removed)."""
    name = value.removeprefix("W/").strip('"')
    if not ETAG.fullmatch(name):
        raise Untrusted(f"malformed ETag {shown(repr(value)[:80])}")
    return name


# ---------------------------------------------------------------- Hub JSON


def count(value: object, what: str, *, bound: int = HUB_COUNT_MAX) -> int | None:
    """A non-negative whole number (or nothing) from a Hub answer or a cache file."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bound:
        raise Untrusted(f"{what} is not a count: {shown(repr(value)[:40])}")
    return value


def text(value: object, what: str, *, limit: int = 200) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or shown(value) != value:
        raise Untrusted(f"{what} is not a short line of text: {shown(repr(value)[:40])}")
    return value


def optional_hex(value: object, what: str, pattern: re.Pattern[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Untrusted(f"malformed {what} {shown(repr(value)[:80])}")
    return value


# ---------------------------------------------------------------- config.json


def _number(value: float | int, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise Untrusted(f"{where} is {value}, not a finite number")
    if isinstance(value, int) and abs(value) >= INT_MAX:
        raise Untrusted(f"{where} is a {len(str(abs(value)))}-digit number, beyond any real setting")


def _count_key(key: str, value: object, where: str) -> None:
    bound = COUNT_BOUNDS.get(key)
    if bound is None or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bound:
        shown_value = f"{value:g}" if isinstance(value, float) else shown(repr(value)[:40])
        raise Untrusted(f"{where} must be a whole number from 0 to {bound}, got {shown_value}")


def check_config(config: object) -> dict[str, Any]:
    """A config.json object whose numbers are finite and bounded, counts within `COUNT_BOUNDS`, nesting shallow.

    Raises Untrusted naming the first offending key (as a dotted path). The object is returned unchanged.
    """
    if not isinstance(config, dict):
        raise Untrusted("config.json is not a JSON object")
    nodes = 0
    stack: list[tuple[object, str, int]] = [(config, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        nodes += 1
        if nodes > NODES_MAX:
            raise Untrusted(f"config.json holds more than {NODES_MAX} values")
        if depth > DEPTH_MAX:
            raise Untrusted(f"config.json nests deeper than {DEPTH_MAX} levels (at {shown(where)})")
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise Untrusted(f"config.json has a non-text key at {shown(where) or 'the top'}")
                path = f"{where}.{key}" if where else key
                _count_key(key, item, shown(path))
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, (int, float)):
            _number(value, shown(where))
        elif value is not None and not isinstance(value, str):
            raise Untrusted(f"{shown(where)} holds a {type(value).__name__}, not a JSON value")
    return config
