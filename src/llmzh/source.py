"""`--source hf|modelscope|auto`: which service a command asks, and which repo id it asks there.

`auto` (the default, or `LLMZH_SOURCE`) asks Hugging Face (or `HF_ENDPOINT`) and falls back to ModelScope when
that endpoint cannot be reached or does not answer in time, saying so in one line; an explicit source never falls
back. A `--token` given with `auto` stays with Hugging Face: ModelScope then gets `MODELSCOPE_API_TOKEN` only, so
no token reaches a host it was not meant for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from llmzh.errors import LlmzhError, UsageError
from llmzh.schema import Lang

if TYPE_CHECKING:
    from llmzh.download import Target
    from llmzh.hub import HubSettings
    from llmzh.modelscope import MsSettings
    from llmzh.schema import Catalog, Entry

SOURCES = ("hf", "modelscope", "auto")
ENV = "LLMZH_SOURCE"


class Chosen(NamedTuple):
    """The source a command uses, its settings, and the line that reports a fallback (None when there was none)."""

    source: Literal["hf", "modelscope"]
    settings: HubSettings | MsSettings
    note: str | None = None

    @property
    def label(self) -> str:
        return "ModelScope" if self.source == "modelscope" else "Hugging Face"


def parse(option: str | None, env: Mapping[str, str] | None = None) -> str:
    """The option, else LLMZH_SOURCE, else auto; anything else is a usage error (exit 2)."""
    env = os.environ if env is None else env
    value = (option or env.get(ENV) or "auto").strip().lower()
    if value not in SOURCES:
        origin = "--source" if option else ENV
        raise UsageError(f"{origin} {value!r} is not a source", hint="choose hf, modelscope or auto")
    return value


def choose(
    option: str | None,
    hf: HubSettings,
    *,
    token: str | None = None,
    refresh: bool = False,
    lang: Lang = "en",
    env: Mapping[str, str] | None = None,
) -> Chosen:
    """Settle `auto` now: one request to the Hugging Face endpoint decides (none when offline)."""
    from llmzh.modelscope import MsSettings

    source = parse(option, env)
    if source == "hf":
        return Chosen("hf", hf)

    def modelscope(token: str | None) -> MsSettings:
        return MsSettings.from_options(token=token, timeout=hf.timeout, offline=hf.offline, refresh=refresh, env=env)

    if source == "modelscope":
        return Chosen("modelscope", modelscope(token))
    if hf.offline:
        return Chosen("hf", hf)
    from llmzh import hub

    reachable, message = hub.ping(hf)
    if reachable:
        return Chosen("hf", hf)
    from llmzh.i18n import t

    settings = modelscope(None)
    note = t("source_fallback", lang).format(host=hf.host, why=message, endpoint=settings.shown_endpoint)
    return Chosen("modelscope", settings, note)


def on_modelscope(target: Target, name: str) -> Target:
    """The ModelScope repo for a download target: the catalog's ModelScope repo of its weights, or the id as typed.

    A repo id typed by the user is taken as a ModelScope id as it is.
    """
    entry = target.entry
    if "/" in name:
        return target._replace(repo=name.strip())
    if entry is not None:
        repo = modelscope_repo(entry, target.repo)
        if repo is not None:
            return target._replace(repo=repo)
    what = entry.variant.id if entry is not None else name
    raise LlmzhError(
        f"the catalog records no ModelScope id for {what}",
        hint="give the ModelScope repo id itself (owner/name, as on modelscope.cn), or use --source hf",
    )


def modelscope_repo(entry: Entry, repo: str | None) -> str | None:
    """The ModelScope repo holding the weights of `entry`, whose Hub repo is `repo`; None where none is recorded.

    A variant's own `modelscope` record (a quantized repo a source shows on ModelScope) wins; else the model's
    `modelscope` id, which names the model's default weights: the first variant with a repo, and the variants
    quantized from it at load time.
    """
    if entry.variant.modelscope is not None:
        return entry.variant.modelscope.repo
    default = next((v.repo for v in entry.model.variants if v.repo), None)
    return entry.model.modelscope if default is not None and repo == default else None


def modelscope_index(catalog: Catalog) -> dict[str, str | None]:
    """Variant id -> the ModelScope repo of its weights (see `modelscope_repo`), None where none is recorded."""
    from llmzh.catalog import repo_index

    repos = repo_index(catalog)
    return {e.variant.id: modelscope_repo(e, repos.get(e.variant.id)) for e in catalog.entries()}


def fetch_config(repo: str, settings: HubSettings | MsSettings) -> dict[str, Any]:
    """A repo's config.json from the chosen source (cached on disk by either module)."""
    from llmzh import hub, modelscope

    if isinstance(settings, modelscope.MsSettings):
        return modelscope.fetch_config(repo, settings)
    return hub.fetch_config(repo, settings)
