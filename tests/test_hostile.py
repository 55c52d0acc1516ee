"""A hostile Hub (a mirror, or a man-in-the-middle on http://) against the real client: nothing it sends is trusted.

Each test plays one hostile answer on the fake Hub and checks what the user sees (one line, exit 1) and that
nothing was written where the server pointed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fakehub import FakeHub
from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.errors import HubError
from llmzh.hub import HubSettings, fetch_config, fetch_infos
from llmzh.repoinfo import cache_path, read_cached

runner = CliRunner()
FIXTURE = Path(__file__).parent / "fixtures" / "catalog_small.yaml"
GOOD_SHA = "0123456789abcdef0123456789abcdef01234567"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--lang", "en"], env={"LLMZH_CATALOG": str(FIXTURE)})
    return result.exit_code, result.stdout, result.stderr


def files_under(root: Path) -> set[str]:
    """Every file under `root` but llmzh's own catalog cache (written by any command)."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "llmzh_cache/catalog" not in str(p)}


# ---------------------------------------------------------------- identifiers: the commit id


@pytest.mark.parametrize("sha", ["../../../../victim", "0123456789abcdef", GOOD_SHA.upper(), GOOD_SHA + "\n"])
def test_a_commit_id_that_is_not_40_hex_digits_is_refused_before_anything_is_written(
    fakehub: FakeHub, tmp_path: Path, sha: str
) -> None:
    fakehub.add_repo("evil/sha", {"config.json": b"{}", "model.bin": b"w" * 100}, extra={"sha": sha})
    before = files_under(tmp_path)
    code, out, err = run("download", "evil/sha", "--quiet")
    assert code == 1
    assert err.startswith("Error: refusing evil/sha: ")
    assert "malformed commit id" in err.splitlines()[0] and "nothing was written" in err.splitlines()[0]
    assert len(err.splitlines()) == 2  # the error and its hint
    assert files_under(tmp_path) == before  # no victim.json, no tree cache, no blob
    assert fakehub.transfers == []


def test_a_commit_id_in_a_file_answer_that_is_not_a_hash_is_refused(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.add_repo("evil/header", {"config.json": b"{}", "model.bin": b"w" * 100})
    fakehub.resolve_headers = {"X-Repo-Commit": "../../../../victim"}
    before = files_under(tmp_path)
    code, out, err = run("download", "evil/header", "--quiet")
    assert code == 1
    assert err.splitlines()[0] == (
        "Error: refusing a file from 127.0.0.1: malformed X-Repo-Commit '../../../../victim' "
        "(expected 40 hex digits); nothing was written"
    )
    assert not [p for p in files_under(tmp_path) - before if "victim" in p or "snapshots" in p]
    assert fakehub.transfers == []  # refused on the headers, before any body


def test_an_etag_that_is_a_path_is_refused(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.add_repo("evil/etag", {"config.json": b"{}"})
    fakehub.resolve_headers = {"ETag": '"../../../../victim"'}
    code, out, err = run("download", "evil/etag", "--quiet")
    assert code == 1
    assert "malformed ETag" in err.splitlines()[0]
    assert not list(tmp_path.rglob("victim*"))


def test_a_file_tree_listing_more_files_than_the_plan_adds_none(fakehub: FakeHub, tmp_path: Path) -> None:
    """The planned files come from one listing; the tree huggingface_hub lists again cannot add a `.git/config`."""
    fakehub.add_repo("evil/tree", {"config.json": b"{}", ".git/config": b"[core]\n\tfsmonitor = touch pwned\n"})
    siblings = [{"rfilename": "config.json", "blobId": "9e26dfeeb6e641a33dae4961196235bdb965b21b", "size": 2}]
    fakehub.repo("evil/tree").extra["siblings"] = siblings
    target = tmp_path / "dest"
    code, out, err = run("download", "evil/tree", "--local-dir", str(target), "--quiet")
    assert code == 0, err
    assert (target / "config.json").read_bytes() == b"{}"
    assert not (target / ".git").exists()
    assert {t.filename for t in fakehub.transfers} == {"config.json"}


# ---------------------------------------------------------------- identifiers: file paths


@pytest.mark.parametrize(
    ("hostile", "why"),
    [
        (".git/config", "'.git' segment"),
        ("sub/.GIT/hooks/post-checkout", "'.git' segment"),
        (".git./config", "'.git' segment"),
        (".cache/huggingface/download/model.bin.metadata", "'.cache/huggingface' segment"),
        ("weights/C:model.bin", "drive segment"),  # on Windows, written to the current folder of drive C:
        ("a\x00b.bin", "control character"),
        ("title\x1b]0;pwned\x07.bin", "control character"),
        ("x" * 256 + ".bin", "name too long"),
        ("x" * 250, "name too long"),  # no room for huggingface_hub's `.metadata` beside it
        ("/".join(["d" * 200] * 21), "path too long"),
    ],
)
def test_a_file_path_that_cannot_be_written_safely_is_refused(
    fakehub: FakeHub, tmp_path: Path, hostile: str, why: str
) -> None:
    siblings = [{"rfilename": "config.json", "size": 2}, {"rfilename": hostile, "size": 10}]
    fakehub.add_repo("evil/paths", {"config.json": b"{}"}, extra={"siblings": siblings})
    target = tmp_path / "dest"
    code, out, err = run("download", "evil/paths", "--local-dir", str(target))
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith("Error: refusing evil/paths: the Hub lists file paths that cannot be written safely: ")
    assert first.endswith(f"({why})")
    assert "\x1b" not in err and "\x00" not in err and "\x07" not in err
    assert not target.exists() and fakehub.transfers == []


def test_control_characters_in_a_file_name_are_shown_escaped(fakehub: FakeHub) -> None:
    siblings = [{"rfilename": "title\x1b]0;pwned\x07.bin", "size": 10}]
    fakehub.add_repo("evil/title", {"config.json": b"{}"}, extra={"siblings": siblings})
    code, out, err = run("download", "evil/title")
    assert code == 1
    assert "'title\\x1b]0;pwned\\x07.bin' (control character)" in err


def test_a_name_that_reorders_the_terminal_is_downloaded_and_shown_escaped(fakehub: FakeHub, tmp_path: Path) -> None:
    name = "readme\u202etxt.exe"  # a right-to-left override: shows as "readmeexe.txt"
    fakehub.add_repo("odd/bidi", {name: b"hello"})
    code, out, err = run("download", "odd/bidi", "--local-dir", str(tmp_path / "d"), "--dry-run")
    assert code == 0, err
    assert "readme\\u202etxt.exe" in out and "\u202e" not in out


# ---------------------------------------------------------------- Hub JSON: unavailable, never cached


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("lastModified", "not-a-date", "not-a-date"),
        ("downloads", "many", "downloads"),
        ("likes", -5, "likes"),
        ("downloads", 10**30, "downloads"),
        ("likes", True, "likes"),
        ("gated", "sometimes", "gated"),
        ("siblings", 7, "TypeError"),
    ],
)
def test_a_malformed_hub_answer_is_unavailable_and_never_cached(
    fakehub: FakeHub, field: str, value: object, named: str
) -> None:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}"}, extra={field: value})
    settings = HubSettings(endpoint=fakehub.url)
    info = fetch_infos(["demo/glm-demo"], settings)["demo/glm-demo"]
    assert info.status == "unavailable"
    assert info.error is not None and info.error.startswith("127.0.0.1:") and " sent a malformed answer (" in info.error
    assert named in info.error
    assert not cache_path(settings.endpoint, "demo/glm-demo").exists()


def test_show_with_a_malformed_answer_prints_one_line_and_keeps_the_last_good_figures(fakehub: FakeHub) -> None:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}"}, downloads=4321)
    fakehub.add_repo("demo/glm-demo-int4", {"config.json": b"{}"})
    fakehub.add_repo("demo/glm-demo-int4-qe", {"config.json": b"{}"})
    assert run("show", "glm-demo")[0] == 0
    fakehub.repo("demo/glm-demo").extra["lastModified"] = "not-a-date"
    code, out, err = run("show", "glm-demo", "--refresh")
    assert code == 0
    assert "4.3k" in out  # the cached figures, marked stale
    assert len(err.splitlines()) == 1 and "sent a malformed answer" in err
    cached = read_cached(HubSettings(endpoint=fakehub.url), "demo/glm-demo")
    assert cached is not None and cached.downloads == 4321


@pytest.mark.parametrize(
    "tamper",
    [
        {"downloads": "many"},
        {"likes": -1},
        {"fetched_at": "yesterday"},
        {"fetched_at": True},
        {"files": [["model.bin", "big", None]]},
        {"files": [["model.bin", 10, "not-a-sha"]]},
        {"sha": "../../victim"},
        {"last_modified": "soon"},
        {"license": "\x1b]0;pwned\x07"},
        {"last_modified": 12345},
        {"files": [["", 10, None]]},
        {"gated": "sometimes"},
    ],
)
def test_a_cache_file_of_the_right_shape_with_wrong_types_is_ignored(
    fakehub: FakeHub, tamper: dict[str, object]
) -> None:
    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}"}, downloads=77)
    settings = HubSettings(endpoint=fakehub.url)
    fetch_infos(["demo/glm-demo"], settings)
    path = cache_path(settings.endpoint, "demo/glm-demo")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, **tamper}))
    assert read_cached(settings, "demo/glm-demo") is None
    fakehub.reset_requests()
    info = fetch_infos(["demo/glm-demo"], settings)["demo/glm-demo"]
    assert (info.status, info.downloads, info.cached) == ("ok", 77, False)
    assert fakehub.count("GET", "/api/models/*") == 1  # fetched again, not served from the tampered file


# ---------------------------------------------------------------- config.json: a clear error, nothing cached


LLAMA = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"model_type": "llama", "rms_norm_eps": NaN}', "rms_norm_eps is nan, not a finite number"),
        (
            '{"model_type": "llama", "hidden_size": NaN}',
            "hidden_size must be a whole number from 0 to 1048576, got nan",
        ),
        ('{"model_type": "llama", "rope_theta": Infinity}', "rope_theta is inf, not a finite number"),
        ('{"model_type": "llama", "rope_theta": ' + "9" * 500 + "}", "rope_theta is a 500-digit number"),
        (json.dumps({**LLAMA, "num_hidden_layers": 1e30}), "num_hidden_layers must be a whole number from 0 to 4096"),
        (json.dumps({**LLAMA, "num_hidden_layers": 10**6}), "got 1000000"),
        (json.dumps({**LLAMA, "text_config": {"vocab_size": -1}}), "text_config.vocab_size must be a whole number"),
        (json.dumps({**LLAMA, "num_attention_heads": "32"}), "num_attention_heads must be a whole number"),
        ("[" * 40 + "]" * 40, "config.json is not a JSON object"),
        ('{"a": ' + "[" * 40 + "]" * 40 + "}", "nests deeper than 16 levels"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "config.json is not valid JSON"),
    ],
)
def test_estimate_of_a_config_json_no_real_model_has_is_one_clear_line(
    fakehub: FakeHub, body: str, message: str
) -> None:
    fakehub.add_repo("evil/config", {"config.json": body})
    code, out, err = run("estimate", "evil/config")
    assert code == 1
    assert err.startswith("Error: evil/config: ") and message in err.splitlines()[0]
    assert "Traceback" not in err and out == ""
    assert not list(cache_path(fakehub.url, "evil/config@main", "config").parent.glob("*.json"))


def test_a_valid_config_is_cached_and_a_tampered_cache_is_fetched_again(fakehub: FakeHub) -> None:
    fakehub.add_repo("ok/config", {"config.json": json.dumps(LLAMA)})
    settings = HubSettings(endpoint=fakehub.url)
    assert fetch_config("ok/config", settings) == LLAMA
    path = cache_path(settings.endpoint, "ok/config@main", "config")
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "config": {**LLAMA, "num_hidden_layers": 1e30}}))
    fakehub.reset_requests()
    assert fetch_config("ok/config", settings) == LLAMA
    assert fakehub.count("GET", "*/config.json") == 1
    assert not math.isinf(json.loads(path.read_text())["config"]["num_hidden_layers"])


# ---------------------------------------------------------------- the catalog cache runs no code


def _catalog_cache(root: Path) -> Path:
    # --catalog adds to the built-in catalog, which is cached beside it: take the fixture's own cache file.
    caches = (root / "_sandbox" / "llmzh_cache" / "catalog").glob("*.catalog.json")
    (found,) = (p for p in caches if str(FIXTURE.resolve()) in json.loads(p.read_text(encoding="utf-8"))["key"])
    return found


def test_the_catalog_cache_is_read_back_as_data(tmp_path: Path) -> None:
    assert run("list")[0] == 0
    cache = _catalog_cache(tmp_path)
    stored = json.loads(cache.read_text(encoding="utf-8"))
    text = json.dumps(stored, ensure_ascii=False)
    assert "DemoGLM-6B" in text
    cache.write_text(text.replace("DemoGLM-6B", "GLM-Cached"), encoding="utf-8")
    code, out, err = run("show", "glm-demo")
    assert code == 0 and "GLM-Cached" in out  # the cache is what was read: an edit there shows


def test_a_planted_pickle_in_the_cache_runs_nothing(tmp_path: Path) -> None:
    import pickle

    assert run("list")[0] == 0
    cache = _catalog_cache(tmp_path)
    marker = tmp_path / "pwned"

    class Planted:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (marker.write_text, ("ran",))  # what a planted pickle would do on load

    payload = pickle.dumps(Planted())
    cache.write_bytes(payload)
    cache.with_name(cache.name.replace(".json", ".pickle")).write_bytes(payload)
    code, out, err = run("list")
    assert code == 0 and "glm-demo" in out
    assert not marker.exists()
    assert json.loads(cache.read_text(encoding="utf-8"))["value"]  # rebuilt as JSON


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[0][0].__setitem__(0, 42),  # a project id that is a number
        lambda v: v[0][0].__setitem__(4, "not a list of models"),
        lambda v: v[0][0].pop(),  # a record with a field missing
        lambda v: v.__setitem__(0, {"a": "mapping"}),
    ],
)
def test_a_catalog_cache_of_the_right_shape_with_wrong_types_is_rebuilt(tmp_path: Path, tamper: object) -> None:
    assert run("list")[0] == 0
    cache = _catalog_cache(tmp_path)
    stored = json.loads(cache.read_text(encoding="utf-8"))
    tamper(stored["value"])  # type: ignore[operator]
    cache.write_text(json.dumps(stored), encoding="utf-8")
    code, out, err = run("list")
    assert (code, err) == (0, "")
    assert "glm-demo" in out
    assert json.loads(cache.read_text(encoding="utf-8"))["value"] != stored["value"]


# ---------------------------------------------------------------- errors say what happened


def test_a_local_dir_that_is_not_a_folder_is_a_local_problem(tmp_path: Path) -> None:
    code, out, err = run("download", "glm-demo", "--local-dir", "/dev/null")
    assert code == 2
    assert err.splitlines()[0] == "Error: --local-dir /dev/null: /dev/null is not a folder"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run("download", "glm-demo", "--local-dir", str(blocker / "sub"))
    assert code == 2
    assert err.splitlines()[0] == f"Error: --local-dir {blocker / 'sub'}: {blocker} is not a folder"


def test_a_local_dir_name_too_long_is_a_local_problem(tmp_path: Path) -> None:
    code, out, err = run("download", "glm-demo", "--local-dir", str(tmp_path / ("x" * 300)))
    assert code == 2
    assert err.splitlines()[0].endswith(": File name too long")
    assert err.splitlines()[1] == "Hint: give a shorter path (each name at most 255 bytes)"


def test_a_write_that_fails_on_this_machine_is_not_blamed_on_the_hub(fakehub: FakeHub, tmp_path: Path) -> None:
    fakehub.add_repo("demo/nested", {"sub/model.bin": b"w" * 100})
    target = tmp_path / "dest"
    target.mkdir()
    (target / "sub").write_text("a file where a folder must go")
    code, out, err = run("download", "demo/nested", "--local-dir", str(target), "--quiet")
    assert code == 1
    assert err.splitlines()[0] == (f"Error: {target / 'sub'}: File exists (a problem on this machine, not the Hub)")


def test_a_password_in_the_endpoint_is_never_printed(fakehub: FakeHub) -> None:
    fakehub.fail_next("*", status=500, times=None)
    host = fakehub.url.removeprefix("http://")
    endpoint = f"http://someone:s3cretpw@{host}"
    for args in (["download", "demo/x", "--endpoint", endpoint], ["show", "glm-demo", "--endpoint", endpoint]):
        result = runner.invoke(app, [*args, "--lang", "en"], env={"LLMZH_CATALOG": str(FIXTURE)})
        assert "s3cretpw" not in result.output
        assert host in result.output  # the host is named; only the password is withheld
    code, out, err = run("show", "glm-demo", "--endpoint", "ftp://someone:s3cretpw@example.org")
    assert code == 2 and "s3cretpw" not in err and "***@example.org" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_timeout_that_is_not_a_finite_number_is_a_usage_error(value: str) -> None:
    code, out, err = run("show", "glm-demo", "--timeout", value)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 or "Usage" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("repo", "reason"),
    [
        ("a-/b", "The name cannot start or end with '-' or '.'"),
        ("a--b/c", "Cannot have -- or .. in a repo id"),
        ("o/" + "x" * 100, "the maximum length is 96"),
    ],
)
@pytest.mark.parametrize("command", ["download", "estimate"])
def test_a_repo_id_the_hub_cannot_have_is_one_line(command: str, repo: str, reason: str) -> None:
    code, out, err = run(command, repo)
    assert code == 2
    first, hint = err.splitlines()
    assert first.startswith(f"Error: {repo!r} is not a Hub repo id: ") and reason in first
    assert first.count(repr(repo)) == 1  # huggingface_hub's message names it again: said once
    assert hint == "Hint: e.g. THUDM/chatglm-6b-int4"


def test_an_unexpected_exception_is_one_line_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmzh.catalog

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom at http://u:pw@host/x with hf_abcdefghijkl\nsecond line")

    monkeypatch.setattr(llmzh.catalog, "load_catalog", broken)
    code, out, err = run("list")
    assert code == 1
    assert err == (
        "Error: unexpected error (RuntimeError: boom at http://***@host/x with hf_***)\n"
        "Hint: run with LLMZH_DEBUG=1 for details\n"
    )
    monkeypatch.setenv("LLMZH_DEBUG", "1")
    result = runner.invoke(app, ["list"], env={"LLMZH_CATALOG": str(FIXTURE)})
    assert isinstance(result.exception, RuntimeError)  # the traceback, on request


COMPLEX_KEY = """\
version: 1
projects:
- ? [a, b]
  : x
"""


def test_a_catalog_with_a_complex_key_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(COMPLEX_KEY, encoding="utf-8")
    for args in (["catalog", "check", str(path)], ["list", "--catalog", str(path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"Error: {path}:3: malformed YAML: a key must be a plain name, not a list or mapping"
        )


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("vram_gb: {value: 13", "vram_gb: {value: " + "9" * 400, "vram_gb.value: a 400-digit number"),
        ("context_length: {value: 2048", "context_length: {value: " + "9" * 400, "context_length.value: a 400-digit"),
    ],
)
def test_a_catalog_with_a_400_digit_number_is_one_line(tmp_path: Path, old: str, new: str, where: str) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "c.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(app, ["list", "--catalog", str(path)])
    assert result.exit_code == 1
    assert where in result.stderr.splitlines()[0] and "is beyond any real figure" in result.stderr
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1 and result.stdout.count("\n") == 1


# ---------------------------------------------------------------- catalog check: one parse, regular files only


def test_catalog_check_parses_the_file_once_however_many_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmzh import yamldoc

    text = FIXTURE.read_text(encoding="utf-8")
    broken = text.replace("quant: int4\n", "quant: int3\n").replace("quant: int8\n", "quant: int9\n")
    path = tmp_path / "c.yaml"
    path.write_text(broken, encoding="utf-8")
    parses: list[int] = []
    real = yamldoc.StrictLoader.get_single_node

    def counting(self: object) -> object:
        parses.append(1)
        return real(self)  # type: ignore[arg-type]

    monkeypatch.setattr(yamldoc.StrictLoader, "get_single_node", counting)
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and len(parses) == 1
    expected = [i + 1 for i, line in enumerate(broken.splitlines()) if line.strip() in ("quant: int3", "quant: int9")]
    assert [int(line.split(":")[1]) for line in lines] == expected  # each problem at its own line


def test_catalog_check_problems_found_after_validation_are_located_without_a_second_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmzh import yamldoc

    text = FIXTURE.read_text(encoding="utf-8")
    source = "    params_b: {value: 6.2, source: https://example.org/glm-demo/README.md}\n"
    assert source in text
    path = tmp_path / "c.yaml"
    path.write_text(text.replace(source, "    params_b: {value: 6.2}\n"), encoding="utf-8")
    monkeypatch.setattr(yamldoc.yaml, "compose", None)  # the old second parse, per problem
    result = runner.invoke(app, ["catalog", "check", str(path)])
    assert result.exit_code == 1
    line = text.splitlines().index(source.rstrip("\n")) + 1
    assert result.stdout.startswith(f"{path}:{line}: projects[glm-demo].models[glm-demo].params_b")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_catalog_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    import os

    if kind == "fifo":
        path = tmp_path / "catalog.yaml"
        os.mkfifo(path)  # reading it would wait for a writer forever
    elif kind == "device":
        path = Path("/dev/zero")  # reading it would never end
    else:
        path = tmp_path
    for args in (["catalog", "check", str(path)], ["list", "--catalog", str(path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"Error: {path}: not a regular file (a folder, FIFO or device); a catalog is a YAML file"
        )


def test_estimate_of_a_hub_repo_with_a_valid_config(fakehub: FakeHub) -> None:
    config = {**LLAMA, "intermediate_size": 11008, "num_key_value_heads": 32, "vocab_size": 32000}
    fakehub.add_repo("ok/llama", {"config.json": json.dumps(config)})
    result = runner.invoke(app, ["estimate", "ok/llama", "--json", "--quant", "fp16"])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["quant"] == "fp16" and row["estimated"] is True and row["published_gb"] is None
    assert row["weights_bytes"] > 6_000_000_000 * 2  # a 7B model in 16 bits


def test_the_licence_comes_from_the_card_else_from_the_tags(fakehub: FakeHub) -> None:
    fakehub.add_repo("lic/card", {"config.json": b"{}"}, card_data={"license": ["apache-2.0"]})
    fakehub.add_repo("lic/tags", {"config.json": b"{}"}, card_data={"language": ["zh"]}, tags=["license:mit"])
    infos = fetch_infos(["lic/card", "lic/tags"], HubSettings(endpoint=fakehub.url))
    assert (infos["lic/card"].license, infos["lic/tags"].license) == ("apache-2.0", "mit")


def test_figures_are_fresh_for_24_hours(fakehub: FakeHub) -> None:
    import time

    fakehub.add_repo("demo/glm-demo", {"config.json": b"{}"}, downloads=5)
    settings = HubSettings(endpoint=fakehub.url)
    fetch_infos(["demo/glm-demo"], settings)
    path = cache_path(settings.endpoint, "demo/glm-demo")
    for age_s, fetched in ((24 * 3600 - 60, 0), (24 * 3600 + 20, 1)):
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "fetched_at": time.time() - age_s}))
        fakehub.reset_requests()
        fetch_infos(["demo/glm-demo"], settings)
        assert fakehub.count("GET", "/api/models/*") == fetched, age_s


def test_age_is_shown_in_seconds_minutes_hours_then_days() -> None:
    from llmzh.hub import age

    now = 1_000_000.0
    shown_ages = [age(now - s, now) for s in (30, 89, 90, 5399, 5400, 36 * 3600 - 1, 36 * 3600)]
    assert shown_ages == ["30 s", "89 s", "2 min", "90 min", "2 h", "36 h", "2 d"]
    assert age(None) == "?"


def test_a_config_that_cannot_be_fetched_is_one_line_or_the_stale_copy(fakehub: FakeHub) -> None:
    fakehub.add_repo("ok/cfg", {"config.json": json.dumps(LLAMA)})
    settings = HubSettings(endpoint=fakehub.url)
    fakehub.fail_next("*/config.json", status=500, times=None)
    with pytest.raises(HubError) as raised:
        fetch_config("ok/cfg", settings)
    assert raised.value.message == f"ok/cfg: {fakehub.url[7:]} answered HTTP 500"
    fakehub.clear_failures()
    assert fetch_config("ok/cfg", settings) == LLAMA
    fakehub.fail_next("*/config.json", status=500, times=None)
    assert fetch_config("ok/cfg", settings._replace(refresh=True)) == LLAMA  # stale beats nothing


def test_a_file_name_that_is_not_text_is_refused_and_shown_cut_short(fakehub: FakeHub, tmp_path: Path) -> None:
    siblings = [{"rfilename": list(range(30)), "size": 10}]
    fakehub.add_repo("evil/names", {"config.json": b"{}"}, extra={"siblings": siblings})
    code, out, err = run("download", "evil/names", "--local-dir", str(tmp_path / "d"))
    assert code == 1
    host = fakehub.url.removeprefix("http://")
    assert err.splitlines()[0] == (
        f"Error: refusing evil/names: {host} sent a malformed answer "
        "(a file name is not text: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1); nothing was written"
    )
    assert fakehub.transfers == [] and not (tmp_path / "d").exists()


def test_a_stored_token_that_cannot_be_read_is_a_local_problem() -> None:
    from huggingface_hub import constants

    token = Path(constants.HF_TOKEN_PATH)  # in the test's sandbox
    token.mkdir(parents=True)  # not a file: reading it fails, before any request to huggingface.co
    info = fetch_infos(["demo/a"], HubSettings())["demo/a"]
    assert (info.status, info.error) == (
        "unavailable",
        f"{token}: Is a directory (a problem on this machine, not the Hub)",
    )


def test_an_endpoint_on_port_zero_is_a_usage_error() -> None:
    code, out, err = run("show", "glm-demo", "--endpoint", "http://127.0.0.1:0")
    assert code == 2
    assert err.splitlines()[0] == "Error: endpoint 'http://127.0.0.1:0' is not an http(s) URL"


def test_a_long_malformed_commit_id_is_shown_cut_short(fakehub: FakeHub) -> None:
    fakehub.add_repo("evil/sha", {"config.json": b"{}"}, extra={"sha": "f" * 200})
    code, out, err = run("download", "evil/sha", "--quiet")
    assert code == 1
    host = fakehub.url.removeprefix("http://")
    shown = "malformed commit id '" + "f" * 79  # the value cut to 80 characters of its repr...
    shown = (shown + " (expected 40 hex digits)")[:120]  # ...and the reason to 120
    assert (
        err.splitlines()[0]
        == f"Error: refusing evil/sha: {host} sent a malformed answer ({shown}); nothing was written"
    )
