"""What `llmzh download` fetches and whether it safely can: names resolved to repos, the plan, the checks, lineage.

The Hub is reached only through `llmzh.hub`; this module decides. It never prints: it returns records and lines,
or raises `LlmzhError`.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from llmzh import hub
from llmzh import modelscope as ms
from llmzh.catalog import Match, entries_of, lookup
from llmzh.errors import HubError, LlmzhError, UsageError
from llmzh.i18n import commercial
from llmzh.render import human_bytes
from llmzh.schema import BaseWeights, Catalog, Entry, Format, Lang, License, Variant
from llmzh.untrusted import NAME_MAX, PATH_MAX, has_control, shown

if TYPE_CHECKING:
    from llmzh.hub import HubSettings, LocalFile, RepoListing

    Settings = HubSettings | ms.MsSettings

BASE_SUBDIR = "base"  # with --local-dir DIR, --with-base puts the base weights in DIR/base


def _backend(source: str) -> Any:
    """The client module of a source, `llmzh.hub` (Hugging Face) or `llmzh.modelscope`: both return the same records."""
    return ms if source == ms.SOURCE else hub


def _source_of(settings: Settings) -> str:
    return ms.SOURCE if isinstance(settings, ms.MsSettings) else "hf"


def _cache_root(source: str) -> Path:
    return ms.cache_root() if source == ms.SOURCE else hub.hub_cache_dir()


def _cache_name(source: str) -> str:
    return "ModelScope" if source == ms.SOURCE else "Hugging Face"


# ---------------------------------------------------------------- what to fetch


class Target(NamedTuple):
    """The repo a name stands for, with the catalog row that explains it (None for a repo the catalog lacks)."""

    repo: str
    entry: Entry | None = None
    quantized_at_load: bool = False  # the variant is made from `repo`'s weights while loading
    patterns: tuple[str, ...] = ()  # the catalog's files for this variant, in a repo holding several levels

    @property
    def format(self) -> Format | None:
        return self.entry.format if self.entry is not None else None

    @property
    def base(self) -> BaseWeights | None:
        """The base weights an adapter or delta needs."""
        if self.entry is None or self.format not in (Format.LORA, Format.DELTA):
            return None
        return self.entry.model.base_weights

    @property
    def load_code(self) -> str | None:
        return self.entry.variant.load_code if self.entry is not None else None


def _default_variant(variants: Sequence[Variant]) -> Variant:
    """The variant a model name downloads: the first one published as its own repo (the catalog lists FP16 first)."""
    return next((v for v in variants if v.repo), variants[0])


def _with_quant(entries: Sequence[Entry], quant: str, owner: str) -> Entry:
    """The variant a `--quant` word names: the level of that name, else the one level of its family (int4, 8bit,
    gguf, ...) the model has; several of the family are a usage error naming them."""
    from llmzh.select import quant_family

    levels = [e.variant.quant.value for e in entries]
    family = quant_family(quant)
    if family is None:
        raise UsageError(f"unknown level {quant!r} for --quant", hint=f"{owner} has: {', '.join(levels)}")
    wanted = quant.strip().lower().lstrip("=")
    exact = [e for e in entries if e.variant.quant.value == wanted]
    found = exact or [e for e in entries if e.variant.quant in family]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(e.variant.quant.value for e in found)
        raise UsageError(f"{owner} has several {wanted} variants: {names}", hint="pick one with --quant LEVEL")
    raise UsageError(f"{owner} has no {wanted} variant", hint=f"it has: {', '.join(levels)}")


def _entry_of(match: Match, quant: str | None) -> Entry:
    if match.variant is not None and match.model is not None:
        entry = Entry(match.project, match.model, match.variant)
        if quant is not None and quant.strip().lower() != entry.variant.quant.value:
            raise UsageError(
                f"{entry.variant.id} is the {entry.variant.quant.value} variant; --quant {quant} contradicts it",
                hint=f"drop --quant, or name the model: {entry.model.id}",
            )
        return entry
    model = match.model
    if model is None:
        if len(match.project.models) > 1:
            names = ", ".join(m.id for m in match.project.models)
            raise UsageError(f"{match.project.id} has {len(match.project.models)} models; name one", hint=names)
        model = match.project.models[0]
    entries = [Entry(match.project, model, v) for v in model.variants]
    if quant is not None:
        return _with_quant(entries, quant, model.id)
    default = _default_variant(model.variants)
    return next(e for e in entries if e.variant is default)


def resolve(catalog: Catalog, name: str, *, quant: str | None = None, hub_rules: bool = True) -> Target:
    """A catalog project, model or variant id (with --quant LEVEL), or a repo id `org/name` (held to the Hugging
    Face Hub's rules unless `hub_rules` is off: ModelScope ids may be Chinese)."""
    found = lookup(catalog, name)
    match = found.match
    if found.name.repo is not None and (match is None or match.variant is not None):
        if hub_rules:
            hub.check_repo_id(found.name.repo)
        if quant is not None:
            raise UsageError(
                "--quant picks a variant of a catalog model, not of a Hub repo",
                hint="give the variant's own repo id, or a catalog name (llmzh list)",
            )
        # A repo the catalog knows keeps its lineage and licence, however it was named.
        return Target(found.name.repo, entries_of(catalog, match)[0] if match is not None else None)
    if match is None:  # unreachable: a name that is not a repo id either matches or raises
        raise LlmzhError(f"{name!r} matches nothing in the catalog")
    entry = _entry_of(match, quant)
    variant = entry.variant
    if variant.repo is not None:
        return Target(variant.repo, entry, patterns=variant.files)
    source = next(e.variant for e in catalog.entries() if e.variant.id == variant.quantize_from)
    if source.repo is None:  # a chain of load-time variants, which no catalog has
        raise LlmzhError(f"{variant.id}: the catalog records no Hub repo for its source {source.id}")
    return Target(source.repo, entry, quantized_at_load=True, patterns=source.files)


# ---------------------------------------------------------------- the plan


class PlannedFile(NamedTuple):
    path: str
    size: int | None
    present: bool  # already complete at the destination
    partial: int = 0  # bytes kept from an interrupted download

    @property
    def missing(self) -> int:
        return 0 if self.present else max(0, (self.size or 0) - self.partial)


class RepoPlan(NamedTuple):
    """One repo's part of a download: its files as the patterns select them, and what is already there."""

    role: Literal["weights", "base"]
    listing: RepoListing
    files: tuple[PlannedFile, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    local_dir: Path | None  # None: the shared Hugging Face cache

    @property
    def repo(self) -> str:
        return self.listing.repo

    @property
    def total_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)

    @property
    def missing_bytes(self) -> int:
        return sum(f.missing for f in self.files)

    @property
    def destination(self) -> Path:
        """Where the files are once downloaded."""
        if self.local_dir is not None:
            return self.local_dir
        return Path(_backend(self.listing.source).snapshot_dir(self.repo, self.listing.commit))


class Plan(NamedTuple):
    target: Target
    repos: tuple[RepoPlan, ...]
    root: Path  # the folder the disk check is about: --local-dir, or the source's cache
    free_bytes: int

    @property
    def missing_bytes(self) -> int:
        return sum(r.missing_bytes for r in self.repos)

    @property
    def fits(self) -> bool:
        return self.missing_bytes <= self.free_bytes


def free_space(path: Path) -> int:
    """Free bytes on the file system that holds `path`, or will: its nearest existing folder.

    Module-level so tests can stand in a small disk.
    """
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free


# huggingface_hub keeps `.metadata` files named after each file in `--local-dir`, so a name must leave room for it.
_BOOKKEEPING_SUFFIX = len(".metadata")


def _path_problem(path: str, destination: Path | None) -> str | None:
    """Why a repo path must not be written under the destination, or None when it may."""
    if not path:
        return "empty"
    if has_control(path) or "\0" in path:
        return "control character"
    posix = PurePosixPath(path.replace("\\", "/"))
    windows = PureWindowsPath(path)
    if posix.is_absolute() or windows.drive or windows.root:
        return "absolute"
    if any(PureWindowsPath(part).drive for part in posix.parts):
        return "drive segment"  # `a/C:b` is written to drive C: on Windows; huggingface_hub refuses it half-way
    parts = [p.rstrip(". ").casefold() for p in posix.parts]  # Windows drops trailing dots and spaces
    if ".." in posix.parts:
        return "'..' segment"
    if ".git" in parts:
        return "'.git' segment"  # a planted .git/config runs commands on the next `git status`
    if any(a == ".cache" and b == "huggingface" for a, b in zip(parts, parts[1:], strict=False)):
        return "'.cache/huggingface' segment"  # huggingface_hub's own bookkeeping in --local-dir
    names = [len(os.fsencode(p)) for p in posix.parts]
    if max(names) > NAME_MAX or names[-1] > NAME_MAX - _BOOKKEEPING_SUFFIX:
        return "name too long"
    root = len(os.fsencode(str(destination))) + 1 if destination is not None else 0
    if root + len(os.fsencode(path)) + _BOOKKEEPING_SUFFIX >= PATH_MAX:
        return "path too long"
    return None


def check_local_dir(local_dir: Path) -> None:
    """Refuse a `--local-dir` that is, or lies under, something other than a folder (a file, /dev/null), or whose
    name the system refuses (too long); it is created when missing."""
    try:
        for candidate in (local_dir, *local_dir.parents):
            if candidate.exists():
                if not candidate.is_dir():
                    raise UsageError(
                        f"--local-dir {shown(str(local_dir))}: {shown(str(candidate))} is not a folder",
                        hint="give a folder, or a path where one can be created",
                    )
                return
    except OSError as error:
        raise UsageError(
            f"--local-dir {shown(str(local_dir))[:200]}: {error.strerror or type(error).__name__}",
            hint="give a shorter path (each name at most 255 bytes)" if error.errno == errno.ENAMETOOLONG else None,
        ) from None


def unsafe_paths(paths: Iterable[str], destination: Path | None = None) -> list[str]:
    """Repo paths that must not be written, each as `'path' (why)`, escaped for the terminal.

    Refused: absolute, drive or UNC paths, `..` segments (they land outside the destination), `.git` and
    `.cache/huggingface` segments (a planted git config or forged download bookkeeping), control characters, and
    names or paths longer than the system allows under `destination`.
    """
    bad = []
    for path in paths:
        why = _path_problem(path, destination)
        if why is not None:
            bad.append(f"'{shown(path)}' ({why})")
    return bad


def _refuse_paths(repo: str, bad: Sequence[str]) -> HubError:
    shown_paths = ", ".join(bad[:3]) + (f", … ({len(bad)} in all)" if len(bad) > 3 else "")
    return HubError(
        f"refusing {repo}: the Hub lists file paths that cannot be written safely: {shown_paths}",
        hint="nothing was written; report the repo to its owner or to the Hub",
    )


def _repo_plan(
    listing: RepoListing,
    settings: Settings,
    *,
    role: Literal["weights", "base"],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    local_dir: Path | None,
) -> RepoPlan:
    paths = [f.path for f in listing.files]
    selected = hub.select_files(paths, include, exclude)
    if not selected:
        if not paths:
            raise HubError(f"{listing.repo} has no files at {listing.revision}")
        given = " ".join([*(f"--include {p!r}" for p in include), *(f"--exclude {p!r}" for p in exclude)])
        listed = ", ".join(shown(p) for p in paths[:6]) + (f", … ({len(paths)} in all)" if len(paths) > 6 else "")
        raise LlmzhError(f"no file of {listing.repo} matches {given}", hint=f"its files: {listed}")
    destination = local_dir
    if destination is None:
        destination = Path(_backend(listing.source).snapshot_dir(listing.repo, listing.commit))
    bad = unsafe_paths(selected, destination)
    if bad:
        raise _refuse_paths(listing.repo, bad)
    _backend(listing.source).check_access(listing, selected, settings)
    state: dict[str, LocalFile] = _backend(listing.source).local_state(listing, selected, local_dir=local_dir)
    sizes = {f.path: f.size for f in listing.files}
    files = tuple(PlannedFile(p, sizes[p], state[p].present, state[p].partial) for p in selected)
    return RepoPlan(role, listing, files, include, exclude, local_dir)


def _base_listing(target: Target, settings: HubSettings, base_repo: str | None) -> RepoListing:
    base = target.base
    what = target.entry.model.id if target.entry is not None else target.repo
    if base is None:
        kind = "a model with full weights" if target.entry is not None else "not in the catalog"
        raise UsageError(f"--with-base: {what} is {kind}; the catalog records no base weights to add")
    repo = base_repo or base.repo
    if repo is None:
        raise HubError(
            f"the catalog records no Hub repo for the base weights of {what} ({base.name.en})",
            hint=base.note.en if base.note is not None else "get them as the project describes",
        )
    try:
        return hub.list_repo(repo, settings)
    except HubError as error:
        if error.status != "gone" or base_repo is not None or not base.alternatives:
            raise
        raise HubError(
            f"base weights {repo} are gone from the Hub; the catalog records: {', '.join(base.alternatives)}",
            hint=f"choose one with --base-repo, e.g. --base-repo {base.alternatives[0]}",
            status="gone",
        ) from error


def make_plan(
    target: Target,
    settings: Settings,
    *,
    revision: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    local_dir: Path | None = None,
    with_base: bool = False,
    base_repo: str | None = None,
) -> Plan:
    """Everything `download` needs to know before a byte moves; raises LlmzhError for what makes it impossible.

    `include` adds to the catalog's own file patterns for the variant; both filters apply to the target repo only
    (the base weights come whole).
    """
    if base_repo is not None:
        hub.check_repo_id(base_repo, "--base-repo")
    if local_dir is not None:
        check_local_dir(local_dir)
    source = _source_of(settings)
    if source == ms.SOURCE and (with_base or base_repo):
        raise UsageError("--with-base and --base-repo work with Hugging Face only", hint="use --source hf")
    listing = _backend(source).list_repo(target.repo, settings, revision=revision)
    repos = [
        _repo_plan(
            listing,
            settings,
            role="weights",
            include=(*target.patterns, *include),
            exclude=tuple(exclude),
            local_dir=local_dir,
        )
    ]
    if isinstance(settings, hub.HubSettings) and (with_base or base_repo):
        base_listing = _base_listing(target, settings, base_repo)
        base_dir = local_dir / BASE_SUBDIR if local_dir is not None else None
        repos.append(_repo_plan(base_listing, settings, role="base", include=(), exclude=(), local_dir=base_dir))
    root = local_dir if local_dir is not None else _cache_root(source)
    return Plan(target, tuple(repos), root, free_space(root))


def check_space(plan: Plan, *, force: bool = False) -> None:
    """Refuse a download the destination's disk cannot hold (what is still missing against free space)."""
    if plan.fits or force:
        return
    raise LlmzhError(
        f"not enough disk space in {plan.root}: {human_bytes(plan.missing_bytes)} still to download, "
        f"{human_bytes(plan.free_bytes)} free",
        hint="free some space, choose --local-dir on another disk, or pass --force to try anyway",
    )


class Fetched(NamedTuple):
    repo: str
    role: Literal["weights", "base"]
    path: Path
    files: int
    total_bytes: int


def run(
    plan: Plan, settings: Settings, *, max_workers: int = 8, on_bytes: Callable[[int], None] | None = None
) -> list[Fetched]:
    """Download every repo of the plan, resuming partial files."""
    fetched = []
    for part in plan.repos:
        path = _backend(part.listing.source).download(
            part.listing,
            settings,
            paths=[f.path for f in part.files],
            local_dir=part.local_dir,
            max_workers=max_workers,
            on_bytes=on_bytes,
        )
        fetched.append(Fetched(part.repo, part.role, path, len(part.files), part.total_bytes))
    return fetched


# ---------------------------------------------------------------- verify


class Verification(NamedTuple):
    repo: str
    commit: str
    where: Path
    digests: tuple[hub.Digest, ...]

    @property
    def mismatched(self) -> list[hub.Digest]:
        return [d for d in self.digests if d.actual is not None and not d.ok]

    @property
    def missing(self) -> list[hub.Digest]:
        return [d for d in self.digests if d.actual is None]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.digests)


def verify_part(part: RepoPlan, *, on_bytes: Callable[[int], None] | None = None) -> Verification:
    """Checksum what a planned repo's files are at the destination against the listing's."""
    paths = [f.path for f in part.files]
    digests = _backend(part.listing.source).verify_files(
        part.listing, paths, local_dir=part.local_dir, on_bytes=on_bytes
    )
    return Verification(part.repo, part.listing.commit, part.destination, tuple(digests))


def plan_verify(
    target: Target,
    settings: Settings,
    *,
    revision: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    local_dir: Path | None = None,
) -> RepoPlan:
    """The files to check, listed at the commit the local copy was downloaded from (the cache remembers it)."""
    if local_dir is not None:
        check_local_dir(local_dir)
    source = _source_of(settings)
    backend = _backend(source)
    if local_dir is None:
        default = ms.DEFAULT_REVISION if source == ms.SOURCE else "main"
        commit = backend.cached_commit(target.repo, revision or default)
        if commit is None:
            where = f"the {_cache_name(source)} cache {_cache_root(source)}"
            raise LlmzhError(
                f"{target.repo} ({revision or default}) is not in {where}",
                hint="download it first, or give --local-dir DIR for a plain copy",
            )
        revision = commit
    listing = backend.list_repo(target.repo, settings, revision=revision)
    include = (*target.patterns, *include)
    paths = [f.path for f in listing.files]
    selected = hub.select_files(paths, include, tuple(exclude))
    bad = unsafe_paths(selected, local_dir)
    if bad:
        raise _refuse_paths(listing.repo, bad)
    sizes = {f.path: f.size for f in listing.files}
    files = tuple(PlannedFile(p, sizes[p], present=True) for p in selected)
    return RepoPlan("weights", listing, files, tuple(include), tuple(exclude), local_dir)


# ---------------------------------------------------------------- lineage and licence


def license_text(lic: License, lang: Lang) -> str:
    name = lic.weights or lic.code or "unknown licence"
    line = f"{name} · {commercial(lic.commercial, lang)}"
    if lic.condition is not None:
        line += f" ({lic.condition.get(lang)})"
    return line


def license_line(target: Target, lang: Lang) -> str | None:
    """The weights' licence; for an adapter or delta, the base weights' licence too (both apply)."""
    if target.entry is None:
        return None
    line = license_text(target.entry.license, lang)
    base = target.base
    if base is not None and base.license is not None:
        line += f"; base weights {base.name.get(lang)}: {license_text(base.license, lang)}"
    return line


def base_gone(target: Target, settings: Settings) -> bool | None:
    """Whether the base repo the catalog records is gone from the Hub (None: no repo, or the Hub did not say)."""
    base = target.base
    if base is None or base.repo is None or not isinstance(settings, hub.HubSettings):
        return None
    status = hub.fetch_infos([base.repo], settings)[base.repo].status
    return None if status == "unavailable" else status == "gone"


def lineage(
    target: Target,
    lang: Lang,
    *,
    gone: bool | None = None,
    adapter_at: str | None = None,
    base_at: str | None = None,
) -> list[str]:
    """What to do with the download: the load-time quantization line, or the base weights an adapter needs."""
    lines = []
    entry = target.entry
    if entry is not None and target.quantized_at_load:
        lines.append(
            f"{entry.variant.id} is quantized at load time from the {target.repo} weights just fetched; "
            f"load it with: {entry.variant.load_code or 'see the project README'}"
        )
    base = target.base
    if entry is None or base is None:
        return lines
    what = "a LoRA adapter" if target.format is Format.LORA else "delta weights"
    recorded = f"the catalog records {base.repo}" if base.repo else "the catalog records no Hub repo for them"
    lines.append(f"{entry.model.id} is {what}: it needs the base weights {base.name.get(lang)}; {recorded}")
    if gone and base.repo:
        others = ", ".join(base.alternatives) or "none recorded"
        lines.append(f"{base.repo} is gone from the Hub; alternatives in the catalog: {others}")
    if target.format is Format.LORA:
        base_ref = base_at or (base.repo if base.repo and not gone else "<base weights>")
        adapter_ref = adapter_at or target.repo
        lines.append(
            f'combine them with: PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("{base_ref}"), '
            f'"{adapter_ref}")'
        )
    elif base.note is not None:
        lines.append(f"restore them: {base.note.get(lang)}")
    if target.load_code:
        lines.append(f"the project loads it with: {target.load_code}")
    return lines


# ---------------------------------------------------------------- JSON


def verification_json(result: Verification) -> dict[str, object]:
    return {
        "repo": result.repo,
        "commit": result.commit,
        "path": str(result.where),
        "ok": result.ok,
        "files": [
            {"path": d.path, "kind": d.kind, "expected": d.expected, "actual": d.actual, "ok": d.ok}
            for d in result.digests
        ],
    }


def to_json(
    plan: Plan,
    *,
    notes: Sequence[str],
    license: str | None,
    dry_run: bool = False,
    fetched: Sequence[Fetched] = (),
    verified: Sequence[Verification] = (),
) -> dict[str, object]:
    """The plan (and, after a download, where each repo's files are) as `--json` prints it."""
    entry = plan.target.entry
    paths = {f.repo: str(f.path) for f in fetched}
    return {
        "dry_run": dry_run,
        "source": plan.repos[0].listing.source,
        "variant": entry.variant.id if entry is not None else None,
        "format": plan.target.format.value if plan.target.format is not None else None,
        "quantized_at_load": plan.target.quantized_at_load,
        "load_code": plan.target.load_code,
        "license": license,
        "destination": str(plan.root),
        "free_bytes": plan.free_bytes,
        "missing_bytes": plan.missing_bytes,
        "fits": plan.fits,
        "repos": [
            {
                "role": part.role,
                "repo": part.repo,
                "revision": part.listing.revision,
                "commit": part.listing.commit,
                "path": paths.get(part.repo),
                "total_bytes": part.total_bytes,
                "missing_bytes": part.missing_bytes,
                "files": [
                    {"path": f.path, "size": f.size, "present": f.present, "partial_bytes": f.partial}
                    for f in part.files
                ],
            }
            for part in plan.repos
        ],
        "verified": [verification_json(v) for v in verified],
        "notes": list(notes),
    }
