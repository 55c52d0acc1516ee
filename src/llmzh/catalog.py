"""Load `models.yaml` into frozen records, rejecting anything malformed with file, line and field path."""

from __future__ import annotations

import datetime
import enum
import math
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from llmzh.errors import CatalogError, NotFoundError
from llmzh.schema import (
    BENCHMARKS,
    TASKS,
    Catalog,
    Entry,
    Figure,
    Memory,
    Model,
    Project,
    Text,
    Variant,
)

if TYPE_CHECKING:
    import yaml

    from llmzh.names import Name as ParsedName

ENV_CATALOG = "LLMZH_CATALOG"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REPO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")

PathKey = str | int
# A step into the YAML document: the raw key or index, and how to show it (an id where the item has one).
Step = tuple[PathKey, str]


class Problem(NamedTuple):
    """One thing wrong with a catalog file, located as precisely as YAML allows."""

    file: str
    path: tuple[Step, ...]
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field_path = _show_path(self.path)
        return f"{where}: {field_path}: {self.message}" if field_path else f"{where}: {self.message}"


def _show_path(path: tuple[Step, ...]) -> str:
    out = ""
    for key, label in path:
        if isinstance(key, int):
            out += f"[{label}]"
        else:
            out += f".{label}" if out else label
    return out


# ---------------------------------------------------------------- locating the catalog


def default_catalog_path() -> Path:
    """The catalog shipped in the wheel, or the repository's `data/models.yaml` in a source checkout."""
    packaged = Path(__file__).parent / "data" / "models.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "models.yaml"


PathArg = str | os.PathLike[str]
USER_CATALOG = "models.yaml"


def user_catalog_path() -> Path:
    """The user's own catalog, added to the built-in one when it exists: `$LLMZH_HOME/models.yaml`, by default
    `~/.config/llmzh/models.yaml`."""
    from llmzh.config import user_dir

    return user_dir() / USER_CATALOG


def catalog_files(added: Sequence[PathArg] | None = None) -> tuple[Path, ...]:
    """The files `llmzh` reads, in order: the built-in catalog (or `LLMZH_CATALOG`, which replaces it), the user's
    catalog if it exists, then every `--catalog` file. Each adds projects; none replaces another."""
    env = os.environ.get(ENV_CATALOG)
    files = [Path(env) if env else default_catalog_path()]
    user = user_catalog_path()
    if user.is_file():
        files.append(user)
    files.extend(Path(p) for p in added or ())
    unique: dict[str, Path] = {}
    for file in files:
        try:
            key = str(file.resolve())
        except (OSError, RuntimeError):
            key = str(file)
        unique.setdefault(key, file)
    return tuple(unique.values())


def catalog_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--catalog` first, then `LLMZH_CATALOG`, then the built-in catalog."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CATALOG)
    if env:
        return Path(env)
    return default_catalog_path()


# ---------------------------------------------------------------- YAML


def _read_text(path: Path) -> str:
    """The file's text; a FIFO, device or folder is refused before it is read (reading one could block forever)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise CatalogError(
            [f"{path}: catalog file not found"],
            hint=f"check --catalog / {ENV_CATALOG}, or unset them to use the built-in catalog",
        ) from exc
    except OSError as exc:
        raise CatalogError([f"{path}: cannot read catalog: {exc.strerror or exc}"]) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CatalogError(
            [f"{path}: not a regular file (a folder, FIFO or device); a catalog is a YAML file"],
            hint=f"check --catalog / {ENV_CATALOG}",
        )
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError([f"{path}: cannot read catalog: {exc}"]) from exc


def _read_yaml(path: Path) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (to locate problems) and its data, from one parse."""
    from llmzh import yamldoc  # PyYAML is only needed when a file is parsed, not when its cache is read

    return yamldoc.parse(_read_text(path), str(path))


def _line_of(root: yaml.Node | None, path: tuple[Step, ...]) -> int | None:
    from llmzh import yamldoc

    return yamldoc.line_of(root, [key for key, _ in path])


# ---------------------------------------------------------------- conversion into records


class _Invalid:
    pass


_INVALID = _Invalid()
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, path: tuple[Step, ...], message: str) -> _Invalid:
        self.problems.append(Problem(self.file, path, message))
        return _INVALID

    def convert(self, tp: Any, raw: Any, path: tuple[Step, ...]) -> Any:
        origin = typing.get_origin(tp)
        if origin is types.UnionType or origin is typing.Union:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if raw is None:
                return None
            return self.convert(args[0], raw, path)
        if tp is Text:
            return self._text(raw, path)
        if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
            return self._record(tp, raw, path)
        if origin is tuple:
            return self._tuple(typing.get_args(tp)[0], raw, path)
        if origin is Mapping or origin is dict:
            return self._json_map(raw, path)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._enum(tp, raw, path)
        if tp is str:
            if isinstance(raw, datetime.date):
                return raw.isoformat()
            if not isinstance(raw, str) or not raw.strip():
                return self.fail(path, f"expected a non-empty string, got {_describe(raw)}")
            return raw
        if tp is bool:
            if not isinstance(raw, bool):
                return self.fail(path, f"expected true or false, got {_describe(raw)}")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                return self.fail(path, f"expected a whole number, got {_describe(raw)}")
            if raw < 0:
                return self.fail(path, f"must not be negative, got {_describe(raw)}")
            if raw >= _NUMBER_MAX:
                return self.fail(path, f"{_describe(raw)} is beyond any real figure")
            return raw
        if tp is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                return self.fail(path, f"expected a number, got {_describe(raw)}")
            if isinstance(raw, int) and abs(raw) >= _NUMBER_MAX:
                return self.fail(path, f"{_describe(raw)} is beyond any real figure")
            if not math.isfinite(raw) or raw < 0:
                return self.fail(path, f"must be a finite number ≥ 0, got {raw}")
            return float(raw)
        raise TypeError(f"unsupported catalog type {tp!r}")  # a bug in schema.py, not user input

    def _text(self, raw: Any, path: tuple[Step, ...]) -> Text | _Invalid:
        if isinstance(raw, str) and raw.strip():
            return Text(zh=raw, en=raw)
        if isinstance(raw, Mapping):
            unknown = sorted(str(k) for k in raw if k not in ("zh", "en"))
            if unknown:
                return self.fail(path + ((unknown[0], unknown[0]),), "unknown key; a text has only 'zh' and 'en'")
            zh, en = raw.get("zh"), raw.get("en")
            for key, value in (("zh", zh), ("en", en)):
                if value is not None and (not isinstance(value, str) or not value.strip()):
                    return self.fail(path + ((key, key),), f"expected a non-empty string, got {_describe(value)}")
            if zh is None and en is None:
                return self.fail(path, "a text needs 'zh' or 'en'")
            return Text(zh=str(zh or en), en=str(en or zh))
        return self.fail(path, f"expected a string or {{zh: ..., en: ...}}, got {_describe(raw)}")

    def _record(self, cls: Any, raw: Any, path: tuple[Step, ...]) -> Any:
        if not isinstance(raw, Mapping):
            return self.fail(path, f"expected a mapping for {cls.__name__}, got {_describe(raw)}")
        hints = _hints(cls)
        fields: tuple[str, ...] = cls._fields
        defaults: dict[str, Any] = cls._field_defaults
        ok = True
        for key in raw:
            if key not in fields:
                known = ", ".join(fields)
                self.fail(path + ((str(key), str(key)),), f"unknown key (expected one of: {known})")
                ok = False
        values: dict[str, Any] = {}
        for name in fields:
            if name not in raw:
                if name not in defaults:
                    self.fail(path, f"missing required key '{name}'")
                    ok = False
                continue
            value = self.convert(hints[name], raw[name], path + ((name, name),))
            if value is _INVALID:
                ok = False
            else:
                values[name] = value
        if not ok:
            return _INVALID
        return cls(**values)

    def _tuple(self, item_tp: Any, raw: Any, path: tuple[Step, ...]) -> tuple[Any, ...] | _Invalid:
        if raw is None:
            return ()
        if isinstance(raw, (str, Mapping)) or not isinstance(raw, list):
            return self.fail(path, f"expected a list, got {_describe(raw)}")
        items = []
        ok = True
        for i, item in enumerate(raw):
            label = str(item["id"]) if isinstance(item, Mapping) and isinstance(item.get("id"), str) else str(i)
            value = self.convert(item_tp, item, path + ((i, label),))
            ok = ok and value is not _INVALID
            items.append(value)
        return tuple(items) if ok else _INVALID

    def _json_map(self, raw: Any, path: tuple[Step, ...]) -> Mapping[str, Any] | _Invalid:
        """A config.json-like mapping: string keys; scalars, lists and nested mappings as values."""
        if not isinstance(raw, Mapping):
            return self.fail(path, f"expected a mapping, got {_describe(raw)}")
        return raw if self._json_ok(raw, path) else _INVALID

    def _json_ok(self, raw: Any, path: tuple[Step, ...]) -> bool:
        if isinstance(raw, Mapping):
            for key, value in raw.items():
                if not isinstance(key, str):
                    self.fail(path, f"keys must be strings, got {_describe(key)}")
                    return False
                if not self._json_ok(value, path + ((key, key),)):
                    return False
            return True
        if isinstance(raw, list):
            return all(self._json_ok(item, path + ((i, str(i)),)) for i, item in enumerate(raw))
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and not _finite(raw):
            self.fail(path, f"{_describe(raw)} is not a finite number a model can have")
            return False
        if raw is None or isinstance(raw, (str, int, float, bool)):
            return True
        self.fail(path, f"expected a value config.json can hold, got {_describe(raw)}")
        return False

    def _enum(self, cls: type[enum.Enum], raw: Any, path: tuple[Step, ...]) -> Any:
        allowed = [str(m.value) for m in cls]
        if isinstance(raw, str) and raw in allowed:
            return cls(raw)
        what = {"Quant": "quant level", "Commercial": "commercial term"}.get(cls.__name__, cls.__name__.lower())
        return self.fail(path, f"unknown {what} {raw!r}; expected one of: {', '.join(allowed)}")


_NUMBER_MAX = 1 << 63  # a whole number past what a 64-bit field holds is an error, not a figure (a 400-digit value)


def _finite(value: float) -> bool:
    return abs(value) < _NUMBER_MAX if isinstance(value, int) else math.isfinite(value)


def _describe(raw: Any) -> str:
    if raw is None:
        return "nothing"
    if isinstance(raw, bool):
        return f"boolean {raw}"
    if isinstance(raw, int) and abs(raw) >= _NUMBER_MAX:
        return f"a {len(str(abs(raw)))}-digit number"
    if isinstance(raw, (int, float)):
        return f"number {raw}"
    if isinstance(raw, str):
        return f"text {raw!r}"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list):
        return "a list"
    return type(raw).__name__


# ---------------------------------------------------------------- semantic checks


def _cross_checks(projects: tuple[Project, ...], file: str) -> list[Problem]:
    """Ids unique and well-formed, references resolvable, figures positive, repo ids well-formed."""
    problems: list[Problem] = []
    owners: dict[str, tuple[str, tuple[Step, ...], str]] = {}  # id -> (kind, path, owner chain)

    def claim(ident: str, kind: str, path: tuple[Step, ...], chain: str, *, single: bool) -> None:
        """Ids are unique, except that a lone model may share its project's id and a lone variant its model's."""
        if not ID_PATTERN.match(ident):
            message = f"id {ident!r} must be lower-case letters, digits, '.', '_' or '-'"
            problems.append(Problem(file, path + (("id", "id"),), message))
        previous = owners.get(ident)
        if previous is None:
            owners[ident] = (kind, path, chain)
            return
        prev_kind, prev_path, prev_chain = previous
        parent = {"model": "project", "variant": "model"}.get(kind)
        if single and prev_kind == parent and chain.startswith(prev_chain + "/"):
            owners[ident] = (kind, path, chain)
            return
        message = f"duplicate id {ident!r} (already used by the {prev_kind} at {_show_path(prev_path)})"
        problems.append(Problem(file, path + (("id", "id"),), message))

    variant_ids: set[str] = set()
    model_ids: set[str] = set()
    for pi, project in enumerate(projects):
        ppath: tuple[Step, ...] = (("projects", "projects"), (pi, project.id))
        claim(project.id, "project", ppath, project.id, single=False)
        if not project.models:
            problems.append(Problem(file, ppath + (("models", "models"),), "a project needs at least one model"))
        for mi, model in enumerate(project.models):
            mpath = ppath + (("models", "models"), (mi, model.id))
            claim(model.id, "model", mpath, f"{project.id}/{model.id}", single=len(project.models) == 1)
            model_ids.add(model.id)
            if not model.variants:
                problems.append(
                    Problem(file, mpath + (("variants", "variants"),), "a model needs at least one variant")
                )
            for vi, variant in enumerate(model.variants):
                vpath = mpath + (("variants", "variants"), (vi, variant.id))
                chain = f"{project.id}/{model.id}/{variant.id}"
                claim(variant.id, "variant", vpath, chain, single=len(model.variants) == 1)
                variant_ids.add(variant.id)
    for pi, project in enumerate(projects):
        ppath = (("projects", "projects"), (pi, project.id))
        for mi, model in enumerate(project.models):
            mpath = ppath + (("models", "models"), (mi, model.id))
            if model.release_date and not DATE_PATTERN.match(model.release_date.value):
                problems.append(
                    Problem(
                        file,
                        mpath + (("release_date", "release_date"), ("value", "value")),
                        f"expected a date YYYY-MM-DD or YYYY-MM, got {model.release_date.value!r}",
                    )
                )
            if model.modelscope is not None and not REPO_PATTERN.match(model.modelscope):
                message = f"malformed ModelScope repo id {model.modelscope!r} (expected owner/name)"
                problems.append(Problem(file, mpath + (("modelscope", "modelscope"),), message))
            base = model.base_weights
            if base is not None:
                bpath = mpath + (("base_weights", "base_weights"),)
                if base.model is not None and base.model not in model_ids:
                    problems.append(
                        Problem(file, bpath + (("model", "model"),), f"refers to unknown model {base.model!r}")
                    )
                for repo in (base.repo, *base.alternatives):
                    if repo is not None and not REPO_PATTERN.match(repo):
                        problems.append(Problem(file, bpath, f"malformed Hub repo id {repo!r} (expected owner/name)"))
            for vi, variant in enumerate(model.variants):
                vpath = mpath + (("variants", "variants"), (vi, variant.id))
                for name in ("vram_gb", "finetune_vram_gb", "ram_gb"):
                    fig = getattr(variant, name)
                    if fig is not None:
                        problems.extend(_figure_problems(fig, vpath + ((name, name),), file))
                for repo in (variant.repo, *variant.also_at):
                    if repo is not None and not REPO_PATTERN.match(repo):
                        problems.append(
                            Problem(
                                file,
                                vpath + (("repo", "repo"),),
                                f"malformed Hub repo id {repo!r} (expected owner/name)",
                            )
                        )
                if variant.modelscope is not None and not REPO_PATTERN.match(variant.modelscope.repo):
                    message = f"malformed ModelScope repo id {variant.modelscope.repo!r} (expected owner/name)"
                    problems.append(Problem(file, vpath + (("modelscope", "modelscope"), ("repo", "repo")), message))
                if variant.quantize_from is not None and variant.quantize_from not in variant_ids:
                    problems.append(
                        Problem(
                            file,
                            vpath + (("quantize_from", "quantize_from"),),
                            f"refers to unknown variant {variant.quantize_from!r}",
                        )
                    )
                if variant.repo is None and variant.quantize_from is None:
                    problems.append(
                        Problem(
                            file,
                            vpath,
                            "a variant needs a Hub 'repo' or 'quantize_from' (the variant quantized at load time)",
                        )
                    )
            for name in ("params_b", "active_params_b", "context_length", "max_context"):
                fig = getattr(model, name)
                if fig is not None:
                    problems.extend(_figure_problems(fig, mpath + ((name, name),), file))
            problems.extend(_model_problems(model, mpath, file))
    return problems


def _figure_problems(fig: Figure | Memory, path: tuple[Step, ...], file: str) -> list[Problem]:
    problems = []
    if fig.value <= 0:
        problems.append(Problem(file, path + (("value", "value"),), f"must be greater than 0, got {fig.value:g}"))
    alts: tuple[Figure | Memory, ...] = fig.alt
    for i, alt in enumerate(alts):
        problems.extend(_figure_problems(alt, path + (("alt", "alt"), (i, str(i))), file))
    return problems


def _model_problems(model: Model, mpath: tuple[Step, ...], file: str) -> list[Problem]:
    """Benchmarks under canonical names, context native <= maximum, active parameters within the total."""
    problems: list[Problem] = []
    for i, bench in enumerate(model.benchmarks):
        if bench.name not in BENCHMARKS:
            bpath = mpath + (("benchmarks", "benchmarks"), (i, str(i)), ("name", "name"))
            problems.append(
                Problem(file, bpath, f"unknown benchmark {bench.name!r}; expected one of: {', '.join(BENCHMARKS)}")
            )
    for i, task in enumerate(model.tasks):
        if task not in TASKS:
            tpath = mpath + (("tasks", "tasks"), (i, str(i)))
            problems.append(Problem(file, tpath, f"unknown task {task!r}; expected one of: {', '.join(TASKS)}"))
    native, longest = model.context_length, model.max_context
    if native is not None and longest is not None and longest.value < native.value:
        message = f"{longest.value:g} is below the native context_length {native.value:g}"
        problems.append(Problem(file, mpath + (("max_context", "max_context"), ("value", "value")), message))
    total, active = model.params_b, model.active_params_b
    if total is not None and active is not None and active.value > total.value:
        message = f"{active.value:g}B active is more than the {total.value:g}B total"
        problems.append(Problem(file, mpath + (("active_params_b", "active_params_b"), ("value", "value")), message))
    return problems


# ---------------------------------------------------------------- public API


class Validation(NamedTuple):
    catalog: Catalog | None
    problems: tuple[Problem, ...]


def validate(path: Path) -> Validation:
    """Parse and validate a catalog file, collecting every problem instead of stopping at the first."""
    return _validate(path)[0]


def _validate(path: Path) -> tuple[Validation, yaml.Node | None]:
    """The validation and the document's node tree, which locates any later problem without parsing again."""
    file = str(path)
    root, data = _read_yaml(path)
    conv = _Converter(file)
    projects: Any = _INVALID
    if not isinstance(data, Mapping):
        conv.fail((), f"expected a mapping with 'projects' at the top, got {_describe(data)}")
    else:
        for key in data:
            if key not in ("version", "projects"):
                conv.fail(((str(key), str(key)),), "unknown top-level key (expected 'version' and 'projects')")
        version = data.get("version")
        if version != 1:
            conv.fail((("version", "version"),), f"unsupported catalog version {version!r}; this llmzh reads version 1")
        if "projects" not in data:
            conv.fail((), "missing required key 'projects'")
        else:
            projects = conv.convert(tuple[Project, ...], data["projects"], (("projects", "projects"),))
    problems = list(conv.problems)
    if projects is not _INVALID:
        problems.extend(_cross_checks(projects, file))
    if problems:
        problems = [p._replace(line=_line_of(root, p.path)) for p in problems]
        return Validation(None, tuple(problems)), root
    return Validation(Catalog(projects=projects, path=file), ()), root


def check(path: Path) -> Validation:
    """`llmzh catalog check`: validation plus the truth checks (sources, commercial terms, architectures)."""
    result, root = _validate(path)
    if result.catalog is None:
        return result
    from llmzh.audit import truth_problems

    found = truth_problems(result.catalog)
    if not found:
        return result
    problems = tuple(Problem(str(path), p, message, _line_of(root, p)) for p, message in found)
    return Validation(None, problems)


def load_catalog(path: PathArg | None = None, *, added: Sequence[PathArg] | None = None) -> Catalog:
    """One catalog file when `path` is given; otherwise what the CLI reads (see `catalog_files`): the built-in
    catalog, the user's and every `added` (`--catalog`) file, each validated on its own, an id used in two files
    being an error that names both."""
    if path is not None:
        return _load_file(Path(path))
    catalogs = [_load_file(file) for file in catalog_files(added)]
    return catalogs[0] if len(catalogs) == 1 else merge(catalogs)


def merge(catalogs: Sequence[Catalog]) -> Catalog:
    """One catalog of several files' projects; ids stay unique across files."""
    owners: dict[str, tuple[str, str]] = {}  # id -> (kind, file)
    problems: list[str] = []
    for catalog in catalogs:
        seen: set[str] = set()
        for ident, kind in _ids(catalog):
            previous = owners.get(ident)
            if previous is not None and ident not in seen:
                prev_kind, prev_file = previous
                problems.append(f"{catalog.path}: duplicate id {ident!r}: a {kind} here, a {prev_kind} in {prev_file}")
            seen.add(ident)
            owners.setdefault(ident, (kind, catalog.path))
    if problems:
        raise CatalogError(problems, hint="rename the ids in your own catalog file; the built-in ids stay")
    projects = tuple(project for catalog in catalogs for project in catalog.projects)
    return Catalog(projects=projects, path=catalogs[0].path)


def _ids(catalog: Catalog) -> Iterator[tuple[str, str]]:
    for project in catalog.projects:
        yield project.id, "project"
        for model in project.models:
            yield model.id, "model"
            for variant in model.variants:
                yield variant.id, "variant"


def _load_file(path: Path) -> Catalog:
    """Load one catalog file; raise CatalogError naming the first problem.

    A validated catalog is cached as JSON keyed by the file's path, size and mtime, so that listing does not
    re-parse and re-validate an unchanged file on every run.
    """
    cached = _read_cache(path)
    if cached is not None:
        return cached
    try:
        result = validate(path)
    except CatalogError as error:
        error.hint = error.hint or f"fix the file, then check it with `llmzh catalog check {path}`"
        raise
    if result.catalog is None:
        raise CatalogError(
            [str(p) for p in result.problems],
            hint=f"run `llmzh catalog check {path}` to see every problem",
        )
    _write_cache(path, result.catalog)
    return result.catalog


def _cache_file(path: Path, kind: str, extra: tuple[object, ...]) -> tuple[Path, list[object]] | None:
    import zlib

    from llmzh import __version__
    from llmzh.config import cache_dir
    from llmzh.records import SCHEMA

    try:
        resolved = path.resolve()
        stat = resolved.stat()
        directory = cache_dir() / "catalog"
    except (OSError, RuntimeError):
        return None
    key = [__version__, SCHEMA, str(resolved), stat.st_size, stat.st_mtime_ns, *extra]
    return directory / f"{zlib.crc32(str(resolved).encode()):08x}.{kind}.json", key


def read_memo(path: Path, kind: str, extra: tuple[object, ...] = ()) -> Any:
    """A JSON value derived from a catalog file and memoized on disk, if the file (and `extra`) are unchanged.

    JSON, not pickle: a file planted in the cache directory is data, never code. Callers type-check what they get.
    """
    import json

    where = _cache_file(path, kind, extra)
    if where is None:
        return None
    file, key = where
    try:
        with file.open("rb") as fh:
            stored = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):
        return None  # a missing, stale or corrupt cache is simply rebuilt
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("value")


def write_memo(path: Path, kind: str, value: object, extra: tuple[object, ...] = ()) -> None:
    """Memoize a JSON value derived from a catalog file; atomic, and silent when the cache cannot be written."""
    import json

    where = _cache_file(path, kind, extra)
    if where is None:
        return
    file, key = where
    try:
        data = json.dumps({"key": key, "value": value}, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, file)
    except (OSError, TypeError, ValueError):
        pass  # a read-only or full cache directory, or a value JSON cannot hold, only costs speed


def _read_cache(path: Path) -> Catalog | None:
    from llmzh.records import decode

    stored = read_memo(path, "catalog")
    if stored is None:
        return None
    try:
        catalog: Catalog = decode(Catalog, stored)
    except ValueError:
        return None
    return catalog


def _write_cache(path: Path, catalog: Catalog) -> None:
    from llmzh.records import decode, encode

    stored = encode(catalog)
    # Only what reads back identical is cached (a value JSON cannot represent exactly is simply not cached).
    try:
        same = decode(Catalog, stored) == catalog
    except ValueError:
        same = False
    if same:
        write_memo(path, "catalog", stored)


# ---------------------------------------------------------------- lookup


Kind = Literal["project", "model", "variant"]


class Match(NamedTuple):
    kind: Kind
    project: Project
    model: Model | None = None
    variant: Variant | None = None

    @property
    def id(self) -> str:
        if self.variant is not None:
            return self.variant.id
        if self.model is not None:
            return self.model.id
        return self.project.id


def _text_keys(text: Text) -> Iterator[str]:
    """A zh/en name, and its head before a bracketed remark ("通义千问 Qwen（第一代）": "通义千问 Qwen")."""
    for value in dict.fromkeys((text.zh, text.en)):
        yield value
        head = re.split(r"[（(]", value, maxsplit=1)[0].strip()
        if head and head != value:
            yield head


def _names(catalog: Catalog) -> Iterator[tuple[str, Match]]:
    for project in catalog.projects:
        pm = Match("project", project)
        yield project.id, pm
        yield from ((key, pm) for key in _text_keys(project.name))
        yield from ((alias, pm) for alias in project.aliases)
        for model in project.models:
            mm = Match("model", project, model)
            yield model.id, mm
            yield from ((key, mm) for key in _text_keys(model.name))
            yield from ((alias, mm) for alias in model.aliases)
            for variant in model.variants:
                yield variant.id, Match("variant", project, model, variant)


def _fold(name: str) -> str:
    return name.strip().casefold()


def _squash(name: str) -> str:
    """Folded, without the separators people type or leave out: "Qwen 2.5" and "qwen-2.5" are "qwen2.5"."""
    return re.sub(r"[\s_\-·・]+", "", name.casefold())


class Ambiguous(NotFoundError):
    """A name that fits several catalog records equally well. A `family` name (通义千问) is one that names several
    projects outright, rather than matching parts of several records."""

    def __init__(self, name: str, candidates: tuple[Match, ...], *, family: bool = False) -> None:
        listed = ", ".join(f"{m.id} ({m.kind})" for m in candidates[:12]) + (", …" if len(candidates) > 12 else "")
        super().__init__(f"{name!r} is ambiguous: {listed}", hint="use one of these ids")
        self.name = name
        self.candidates = candidates
        self.family = family


class Lookup(NamedTuple):
    """A NAME resolved: the catalog record it names, or, for a repo id the catalog lacks, only the repo."""

    name: ParsedName  # the NAME as parsed
    match: Match | None


def _unique(matches: Iterator[Match] | list[Match]) -> list[Match]:
    return list({(m.kind, m.id): m for m in matches}.values())


def _narrow(matches: list[Match]) -> Match | None:
    """One record for hits within one project: the deepest record that covers them all."""
    if len({m.project.id for m in matches}) != 1:
        return None
    first = matches[0]
    models = {m.model.id for m in matches if m.model is not None}
    if any(m.kind == "project" for m in matches) or len(models) != 1:
        # A single-model project shares its id with its model: the project card covers both.
        return Match("project", first.project)
    model = next(m.model for m in matches if m.model is not None)
    variants = {m.variant.id for m in matches if m.variant is not None}
    if len(variants) == 1 and all(m.kind == "variant" for m in matches):
        return next(m for m in matches if m.variant is not None)
    return Match("model", first.project, model)


def _by_repo(catalog: Catalog, name: ParsedName) -> Match | None:
    repo = (name.repo or "").casefold()
    for entry in catalog.entries():
        repos = (entry.variant.repo, *entry.variant.also_at)
        if repo in (r.casefold() for r in repos if r):
            return Match("variant", entry.project, entry.model, entry.variant)
    for entry in catalog.entries():
        if entry.model.modelscope and entry.model.modelscope.casefold() == repo:
            return Match("model", entry.project, entry.model)
    return None


def _suggest(catalog: Catalog, wanted: str) -> list[str]:
    """Ids of the closest names: by spelling, and for Chinese by shared characters."""
    import difflib

    scored: dict[str, float] = {}
    squashed = _squash(wanted)
    for key, match in _names(catalog):
        ratio = difflib.SequenceMatcher(None, squashed, _squash(key)).ratio()
        if not squashed.isascii():
            shared = len(set(squashed) & set(_squash(key)))
            ratio = max(ratio, shared / max(len(set(squashed)), 1) * 0.8)
        if ratio >= 0.55:
            scored[match.id] = max(scored.get(match.id, 0.0), ratio)
    return sorted(scored, key=lambda k: (-scored[k], k))[:3]


def lookup(catalog: Catalog, raw: str) -> Lookup:
    """Resolve what the user typed: a pasted Hub or ModelScope URL, a repo id, an id, a zh/en name or alias, or a
    part of one. A repo id the catalog does not hold comes back with no match (the caller asks the Hub);
    anything else that matches nothing raises NotFoundError with the closest names, several records Ambiguous."""
    from llmzh.names import parse_name  # listing never parses a NAME: keep its regexes out of start-up

    name = parse_name(raw)
    if name.repo is not None:
        return Lookup(name, _by_repo(catalog, name))
    wanted, squashed = _fold(name.text), _squash(name.text)
    exact = True
    hits = _unique(m for key, m in _names(catalog) if _fold(key) == wanted)
    if not hits:
        hits = _unique(m for key, m in _names(catalog) if _squash(key) == squashed)
    if not hits and len(squashed) >= 2:
        exact = False
        hits = _unique(m for key, m in _names(catalog) if squashed in _squash(key))
    if not hits:
        close = _suggest(catalog, name.text)
        hint = f"did you mean {', '.join(close)}?" if close else "run `llmzh list` to see every model"
        raise NotFoundError(f"no project, model or variant named {name.text!r} in the catalog", hint=hint)
    narrowed = _narrow(hits)
    if narrowed is not None:
        return Lookup(name, narrowed)
    if exact:
        raise Ambiguous(name.text, tuple(hits), family=all(m.kind == "project" for m in hits))
    raise Ambiguous(name.text, tuple(_unique(Match("project", m.project) for m in hits)))


def find(catalog: Catalog, name: str) -> Match:
    """The catalog record a NAME denotes (see `lookup`); a repo id the catalog lacks is NotFoundError."""
    found = lookup(catalog, name)
    if found.match is None:
        raise NotFoundError(
            f"{found.name.repo} is not in the catalog", hint="llmzh estimate and llmzh download take any Hub repo"
        )
    return found.match


def entries_of(catalog: Catalog, match: Match) -> tuple[Entry, ...]:
    """The list rows a match covers."""
    return tuple(
        e
        for e in catalog.entries()
        if e.project.id == match.project.id
        and (match.model is None or e.model.id == match.model.id)
        and (match.variant is None or e.variant.id == match.variant.id)
    )


def repo_index(catalog: Catalog) -> dict[str, str | None]:
    """Variant id -> the Hub repo its weights come from (the source repo for load-time quantization)."""
    own = {e.variant.id: e.variant.repo for e in catalog.entries()}
    out: dict[str, str | None] = {}
    for entry in catalog.entries():
        variant = entry.variant
        out[variant.id] = variant.repo or (own.get(variant.quantize_from) if variant.quantize_from else None)
    return out
