"""Where the catalog and the Hub disagree: each disagreement means the catalog may need a fix."""

from __future__ import annotations

from llmzh.hub import HubInfo
from llmzh.schema import Entry, Format, Quant

UNQUANTIZED = (Quant.FP32, Quant.FP16, Quant.BF16)
PARAMS_TOLERANCE = 0.15  # a safetensors count this far from the catalog's is worth a look


def _norm(tag: str) -> str:
    return tag.strip().lower().replace("_", "-")


def hub_disagreements(entry: Entry, info: HubInfo) -> list[str]:
    """Visible notes for one variant whose repo the Hub answered for."""
    notes: list[str] = []
    repo = info.repo
    if info.status == "gone":
        notes.append(f"{repo} is gone from the Hub, but the catalog lists it for {entry.variant.id}")
        return notes
    if not info.has_figures:
        return notes
    expected = entry.license.hub_tag
    if expected and info.license and _norm(expected) != _norm(info.license):
        notes.append(f"{repo}: the Hub's licence tag is {info.license!r}, the catalog expects {expected!r}")
    params = entry.model.params_b
    if (
        params is not None
        and info.params
        and entry.variant.quant in UNQUANTIZED
        and entry.format is Format.FULL
        and abs(info.params / 1e9 - params.value) > PARAMS_TOLERANCE * params.value
    ):
        notes.append(f"{repo}: the Hub counts {info.params / 1e9:.2f}B parameters, the catalog says {params.value:g}B")
    return notes
