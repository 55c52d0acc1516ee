"""Mutation check: does a module's test subset fail when the module is wrong?

Each mutant is the module with one small change made on its syntax tree: a comparison flipped (< <=, == !=, in
not in, is is not), a number changed (n+1, and 0 or 1), True/False swapped, `and`/`or` swapped, an `if` or
`while` condition negated, a `not` dropped, a comprehension's `if` filter dropped, or a returned value replaced
by None. The given test files run against each mutant; a failing (or hanging) run kills it. Survivors are
printed with their line, function and change, to be pinned by a test or shown equivalent.

    python bench/mutants.py src/llmzh/fit.py --tests tests/test_pinned.py tests/test_estimate.py
    python bench/mutants.py src/llmzh/hub.py --tests tests/test_hub.py --jobs 2 --sample 80

Nothing in the tree is touched: every worker runs a private copy of the package and the tests (first on the path,
no bytecode written) where the mutant replaces the module. POSIX only: tests run in a process forked after pytest,
typer, rich, yaml and huggingface_hub are imported, so each mutant costs its tests, not the start-up. Mutants
are independent, so `--jobs N` runs N at once; `--timeout` bounds each run (default: 3 x the unmutated run + 10 s).
No pass/fail exit status beyond errors of the script itself; the score is printed.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "llmzh"
COMPARE_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


class Mutant(NamedTuple):
    site: int  # index of the node among mutable nodes, in traversal order
    variant: int  # which change of that node
    line: int
    function: str
    change: str


# ---------------------------------------------------------------- mutations


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _changes(node: ast.AST) -> list[str]:
    """The changes this node admits, described for the report (empty: not a mutation site)."""
    if isinstance(node, ast.Compare):
        return [f"`{SYMBOL[type(op)]}` -> `{SYMBOL[COMPARE_FLIPS[type(op)]]}`" for op in node.ops]
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        return [f"{node.value} -> {not node.value}"]
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value = node.value
        return [f"{value!r} -> {value + 1!r}"] + ([f"{value!r} -> 0"] if value else [])
    if isinstance(node, ast.BoolOp):
        return ["`and` -> `or`" if isinstance(node.op, ast.And) else "`or` -> `and`"]
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        return ["condition negated"]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ["`not` dropped"]
    if isinstance(node, ast.comprehension):
        return [f"filter `if {ast.unparse(test)}` dropped" for test in node.ifs]
    if isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        return ["returns None"]
    return []


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _mutate(node: ast.AST, variant: int) -> ast.AST:
    if isinstance(node, ast.Compare):
        node.ops[variant] = COMPARE_FLIPS[type(node.ops[variant])]()
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        node.value = not node.value
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1 if variant == 0 else (0 if node.value else 1)
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif isinstance(node, ast.UnaryOp):
        return node.operand
    elif isinstance(node, ast.comprehension):
        del node.ifs[variant]
    elif isinstance(node, ast.Return):
        node.value = ast.Constant(value=None)
    return node


class _Walker(ast.NodeTransformer):
    """Numbers the mutation sites in traversal order; with a target, applies that one change and no other."""

    def __init__(self, target: tuple[int, int] | None = None) -> None:
        self.target = target
        self.sites: list[Mutant] = []
        self.functions: list[str] = []

    def visit_If(self, node: ast.If) -> ast.AST:
        if _is_type_checking(node):
            return node  # imports for the type checker only
        return self._site(node)

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node  # a docstring
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node  # not the annotation

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        self.functions.append(node.name)
        node.body = [self.visit(stmt) for stmt in node.body]  # not the annotations or decorators
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        self.functions.pop()
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def generic_visit(self, node: ast.AST) -> ast.AST:
        return self._site(node)

    def _site(self, node: ast.AST) -> ast.AST:
        changes = _changes(node)
        first = len(self.sites)
        for variant, change in enumerate(changes):
            line = getattr(node, "lineno", None) or getattr(getattr(node, "target", None), "lineno", 0)
            where = ".".join(self.functions) or "<module>"
            self.sites.append(Mutant(first, variant, line, where, change))
        result = super().generic_visit(node)
        if changes and self.target is not None and self.target[0] == first:
            return _mutate(result, self.target[1])
        return result


def mutants_of(source: str) -> list[Mutant]:
    walker = _Walker()
    walker.visit(ast.parse(source))
    return walker.sites


def mutated_source(tree: ast.Module, mutant: Mutant) -> str:
    copied = copy.deepcopy(tree)
    _Walker((mutant.site, mutant.variant)).visit(copied)
    return ast.unparse(ast.fix_missing_locations(copied))


# ---------------------------------------------------------------- running


def _warm_imports() -> None:
    """Import what every test run needs, once, before forking (llmzh itself is never imported here)."""
    import pytest  # noqa: F401
    import rich.console  # noqa: F401
    import typer  # noqa: F401
    import yaml  # noqa: F401

    try:
        import huggingface_hub  # noqa: F401
        import huggingface_hub.file_download  # noqa: F401
        import huggingface_hub.hf_api  # noqa: F401
    except ImportError:
        pass


def _worker_copy(base: Path, index: int) -> Path:
    """A private checkout: src/llmzh and tests/ copied as they are now (no bytecode), pyproject.toml for pytest's
    settings, links to the data and documents the tests read. Editing the tree while mutants run changes nothing."""
    root = base / f"w{index}"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PACKAGE, root / "src" / "llmzh", ignore=skip)
    shutil.copytree(ROOT / "tests", root / "tests", ignore=skip)
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    for name in ("data", "docs", "README.md", "bench"):
        if (ROOT / name).exists():
            (root / name).symlink_to(ROOT / name)
    return root


def _start(root: Path, module: Path, source: str, tests: list[str]) -> int:
    """Fork a process that runs `tests` with `source` as `module` in the copy at `root`; returns its pid."""
    (root / "src" / "llmzh" / module.relative_to(PACKAGE)).write_text(source, encoding="utf-8")
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()  # its own process group: a timeout kills whatever it started
        if not os.environ.get("MUTANTS_VERBOSE"):  # set it to see the test output of each run
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
        sys.dont_write_bytecode = True
        sys.path.insert(0, str(root / "src"))
        # Tests that start `llmzh` in a process of its own (tests/spawned.py) must import the mutant too.
        inherited = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), inherited]))
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        os.chdir(root)
        import pytest

        # Plugins imported before the fork (anyio, by huggingface_hub) cannot be rewritten: harmless here.
        code = pytest.main(["-x", "-q", "-W", "ignore::pytest.PytestAssertRewriteWarning", *tests])
        os._exit(int(code))
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        import traceback

        traceback.print_exc()
        os._exit(99)


def _run_all(
    module: Path, tests: list[str], jobs: list[tuple[Mutant, str]], workers: int, timeout: float | None
) -> Iterator[tuple[Mutant, str, float]]:
    """Yield (mutant, outcome, seconds) as runs end; outcome is killed, survived or timeout."""
    with tempfile.TemporaryDirectory(prefix="llmzh-mutants-") as tmp:
        roots = [_worker_copy(Path(tmp), i) for i in range(workers)]
        free = list(roots)
        running: dict[int, tuple[Mutant, Path, float]] = {}
        queue = list(jobs)
        try:
            yield from _drain(module, tests, queue, running, free, timeout)
        finally:  # interrupted (Ctrl-C): stop what is still running before the copies are removed
            for child in running:
                os.killpg(child, signal.SIGKILL)
                os.waitpid(child, 0)


def _drain(
    module: Path,
    tests: list[str],
    queue: list[tuple[Mutant, str]],
    running: dict[int, tuple[Mutant, Path, float]],
    free: list[Path],
    timeout: float | None,
) -> Iterator[tuple[Mutant, str, float]]:
    """Keep every free copy busy with the next mutant; reap runs as they end or pass the timeout."""
    while queue or running:
        while queue and free:
            mutant, source = queue.pop(0)
            root = free.pop()
            running[_start(root, module, source, tests)] = (mutant, root, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for child, (mutant, root, started) in list(running.items()):
                if timeout is not None and now - started > timeout:
                    os.killpg(child, signal.SIGKILL)
                    os.waitpid(child, 0)
                    del running[child]
                    free.append(root)
                    yield mutant, "timeout", now - started
            time.sleep(0.05)
            continue
        if pid not in running:
            continue
        mutant, root, started = running.pop(pid)
        free.append(root)
        code = os.waitstatus_to_exitcode(status)
        yield mutant, "survived" if code == 0 else "killed", time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", type=Path, help="module file under src/llmzh, e.g. src/llmzh/fit.py")
    parser.add_argument("--tests", nargs="+", required=True, help="test files (or node ids) to run per mutant")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--timeout", type=float, help="seconds per run (default: 3 x the unmutated run + 10)")
    parser.add_argument("--sample", type=int, help="run only N mutants, evenly spread over the module")
    parser.add_argument("--lines", help="only mutants on lines A-B")
    args = parser.parse_args()
    if not hasattr(os, "fork"):
        sys.exit("bench/mutants.py needs os.fork (Linux, macOS)")
    module = args.module.resolve()
    if PACKAGE not in module.parents or module.suffix != ".py":
        sys.exit(f"{args.module}: not a module of {PACKAGE}")
    source = module.read_text(encoding="utf-8")
    tree = ast.parse(source)
    mutants = mutants_of(source)
    if args.lines:
        low, _, high = args.lines.partition("-")
        mutants = [m for m in mutants if int(low) <= m.line <= int(high or low)]
    total = len(mutants)
    if args.sample and args.sample < total:
        step = total / args.sample
        mutants = [mutants[int(i * step)] for i in range(args.sample)]
    _warm_imports()

    baseline = list(_run_all(module, args.tests, [(Mutant(-1, 0, 0, "", "none"), ast.unparse(tree))], 1, None))
    _, outcome, seconds = baseline[0]
    if outcome != "survived":
        sys.exit(f"the tests fail on the unmutated module (rewritten by ast.unparse): fix that first ({outcome})")
    timeout = args.timeout or 3 * seconds + 10
    print(f"{module.name}: {len(mutants)} of {total} mutants; tests: {' '.join(args.tests)}")
    print(f"unmutated run {seconds:.1f} s; timeout per mutant {timeout:.0f} s; {args.jobs} at once")

    jobs = [(m, mutated_source(tree, m)) for m in mutants]
    outcomes: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": []}
    started = time.monotonic()
    for mutant, outcome, _ in _run_all(module, args.tests, jobs, max(1, args.jobs), timeout):
        outcomes[outcome].append(mutant)
    killed = len(outcomes["killed"]) + len(outcomes["timeout"])
    score = 100 * killed / len(mutants) if mutants else 100.0
    print(
        f"{module.name}: {killed}/{len(mutants)} killed ({score:.1f} %), {len(outcomes['survived'])} survived, "
        f"{len(outcomes['timeout'])} by timeout; {time.monotonic() - started:.0f} s"
    )
    for mutant in sorted(outcomes["survived"], key=lambda m: (m.line, m.site, m.variant)):
        print(f"  survived  L{mutant.line:<5} {mutant.function:<28} {mutant.change}")


if __name__ == "__main__":
    main()
