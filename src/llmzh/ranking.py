"""Ranking models by published benchmarks, comparing two models only on the benchmarks both publish.

Method (README, "How recommend ranks"): every benchmark two models share is one game, won by the higher score (a
tie is half a win each). A Bradley–Terry model is fitted to all games of the catalog: each model gets a strength
such that P(A beats B) = s_A / (s_A + s_B). Strengths propagate through models that share benchmarks with both
sides (a 2025 model publishing C-Eval and MMLU-Pro links C-Eval-only 2023 models to MMLU-Pro-only 2026 ones), so
models that never share a benchmark can still be ordered, and a model's missing scores count neither for nor
against it. A model that shares no benchmark with any other has no strength: it is ranked after the others, and
the reason line says so. One virtual drawn game against an average model keeps strengths finite for a model that
wins (or loses) every game it plays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from llmzh.schema import BENCHMARKS, Model

ITERATIONS = 200
PRIOR_GAMES = 1.0  # virtual drawn games against an average model (strength 1)


class Standing(NamedTuple):
    """What a model's rank rests on."""

    strength: float | None  # log Bradley–Terry strength; None when it shares no benchmark with another model
    games: int  # benchmark comparisons it took part in
    opponents: int  # models it shares at least one benchmark with
    benchmarks: tuple[str, ...]  # the benchmarks it was compared on, in canonical order


def _scores(model: Model) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in BENCHMARKS:
        found = model.benchmark(name)
        if found is not None:
            out[name] = found.value
    return out


def standings(models: Iterable[Model]) -> dict[str, Standing]:
    """Standing of every model by id (the same model under one id is counted once)."""
    unique = {m.id: m for m in models}
    ids = sorted(unique)
    scores = {i: _scores(unique[i]) for i in ids}
    wins: dict[str, float] = dict.fromkeys(ids, 0.0)
    games: dict[tuple[str, str], int] = {}
    compared: dict[str, set[str]] = {i: set() for i in ids}
    opponents: dict[str, set[str]] = {i: set() for i in ids}
    for a_index, a in enumerate(ids):
        for b in ids[a_index + 1 :]:
            shared = scores[a].keys() & scores[b].keys()
            if not shared:
                continue
            games[(a, b)] = len(shared)
            opponents[a].add(b)
            opponents[b].add(a)
            compared[a] |= shared
            compared[b] |= shared
            for name in shared:
                diff = scores[a][name] - scores[b][name]
                wins[a] += 1.0 if diff > 0 else 0.5 if diff == 0 else 0.0
                wins[b] += 1.0 if diff < 0 else 0.5 if diff == 0 else 0.0
    playing = [i for i in ids if opponents[i]]
    strength = dict.fromkeys(playing, 1.0)
    for _ in range(ITERATIONS):
        # Minorization-maximization update (Hunter 2004); the prior is PRIOR_GAMES drawn games against strength 1.
        denominators = {i: PRIOR_GAMES / (strength[i] + 1.0) for i in playing}
        for (a, b), n in games.items():
            share = n / (strength[a] + strength[b])
            denominators[a] += share
            denominators[b] += share
        strength = {i: (wins[i] + PRIOR_GAMES / 2) / denominators[i] for i in playing}
    out: dict[str, Standing] = {}
    for i in ids:
        played = sum(n for pair, n in games.items() if i in pair)
        names = tuple(name for name in BENCHMARKS if name in compared[i])
        value = math.log(strength[i]) if i in strength else None
        out[i] = Standing(value, played, len(opponents[i]), names)
    return out
