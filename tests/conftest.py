"""Test-suite wide isolation from the real Hugging Face Hub, the network and the developer's machine.

* ``_hf_sandbox`` (autouse): every test runs with ``HF_ENDPOINT=http://127.0.0.1:9`` (closed port), no token, all
  Hugging Face / llmzh / XDG directories under ``tmp_path`` and sockets restricted to loopback. Because
  ``huggingface_hub.constants`` freezes most env vars at import time, the constants (and the few module-level copies
  of them) are patched too.
* ``fakehub``: a started :class:`tests.fakehub.FakeHub` (one server per session, reset for every test) with
  ``HF_ENDPOINT`` and the constants pointed at it.
* ``hf_sleeps`` (opt-in): makes huggingface_hub's retry back-off instantaneous and records the requested delays.
* ``fakems``: a started :class:`tests.fakemodelscope.FakeModelScope` with ``MODELSCOPE_ENDPOINT`` pointed at it
  and the client's retry back-off made instantaneous. The sandbox itself points ModelScope at the closed port, keeps
  its cache and login under ``tmp_path`` and sets ``LLMZH_SOURCE=hf``, so tests of ``--source auto`` say so.

Mark a test ``@pytest.mark.allow_network`` to lift the loopback-only socket guard (never needed with ``fakehub``).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from fakehub import CLOSED_ENDPOINT, FakeHub, SleepRecorder
except ModuleNotFoundError:  # e.g. `--import-mode=importlib`: tests/ is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fakehub import CLOSED_ENDPOINT, FakeHub, SleepRecorder
from fakemodelscope import FakeModelScope

_UNSET_ENV = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_OIDC_RESOURCE",
    "HF_OIDC_ID_TOKEN",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HUGGINGFACE_CO_STAGING",
    "HF_HUB_ETAG_TIMEOUT",
    "HF_HUB_DOWNLOAD_TIMEOUT",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN",
    "HF_HUB_DISABLE_PROGRESS_BARS",
    "HF_HUB_ENABLE_HF_TRANSFER",
    "HF_XET_HIGH_PERFORMANCE",
    "HF_DEBUG",
    "HUGGINGFACE_HUB_CACHE",
    "HUGGINGFACE_ASSETS_CACHE",
    "HF_TOKEN_PATH",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "MODELSCOPE_API_TOKEN",
    "MODELSCOPE_DOMAIN",
    "MODELSCOPE_LOG_LEVEL",
    "MODELSCOPE_DOWNLOAD_INTRA_CLOUD_REGION",
    "MODELSCOPE_INTER_CLOUD_REGIONS",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_network: do not restrict sockets to the loopback interface")


def point_hf_at(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """Point both the ``HF_ENDPOINT`` env var and the import-time frozen constants at ``endpoint``."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _git_credential

    endpoint = endpoint.rstrip("/")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(_git_credential, "ENDPOINT", endpoint)


def _patch_hf_constants(monkeypatch: pytest.MonkeyPatch, hf_home: Path) -> None:
    from huggingface_hub import constants
    from huggingface_hub.utils import _cache_assets, _cache_manager, _http

    hub_cache = hf_home / "hub"
    assets = hf_home / "assets"
    xet = hf_home / "xet"
    token = hf_home / "token"
    values: dict[str, Any] = {
        "HF_HOME": str(hf_home),
        "default_cache_path": str(hub_cache),
        "default_assets_cache_path": str(assets),
        "default_xet_cache_path": str(xet),
        "HUGGINGFACE_HUB_CACHE": str(hub_cache),
        "HUGGINGFACE_ASSETS_CACHE": str(assets),
        "HF_HUB_CACHE": str(hub_cache),
        "HF_ASSETS_CACHE": str(assets),
        "HF_XET_CACHE": str(xet),
        "HF_TOKEN_PATH": str(token),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(hf_home / ".check_for_update_done"),
        "CHECK_FOR_SKILL_UPDATE_DONE_PATH": str(hf_home / ".check_for_skill_update_done"),
        "AGENT_HARNESSES_PATH": str(hf_home / ".agent_harnesses.json"),
        "HF_HUB_OFFLINE": False,
        # No `GET {ENDPOINT}/api/agent-harnesses` from build_hf_headers (utils/_headers.py:183-187).
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_UPDATE_CHECK": True,
        # Belt and braces: FakeHub never advertises Xet, this also keeps hf_xet away from the network.
        "HF_HUB_DISABLE_XET": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": False,
        "HF_HUB_ETAG_TIMEOUT": constants.DEFAULT_ETAG_TIMEOUT,
        "HF_HUB_DOWNLOAD_TIMEOUT": constants.DEFAULT_DOWNLOAD_TIMEOUT,
        "HF_DEBUG": False,
    }
    for name, value in values.items():
        if hasattr(constants, name):
            monkeypatch.setattr(constants, name, value)
    # Module-level copies made with `from ..constants import X`.
    monkeypatch.setattr(_cache_manager, "HF_HUB_CACHE", str(hub_cache))
    monkeypatch.setattr(_cache_assets, "HF_ASSETS_CACHE", str(assets))
    # Fresh httpx2 client per test: no keep-alive connection (or proxy setting) leaks between tests.
    _http.close_session()


def _is_loopback_host(host: object) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _guard_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback_host(host):
            raise socket.gaierror(socket.EAI_NONAME, f"network disabled in tests (lookup of {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback_host(address[0]):
            raise ConnectionRefusedError(f"network disabled in tests (connect to {address!r})")

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def _hf_sandbox(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Isolate every test from the real Hub, the real token and the real home directory.

    Yields the sandbox root (``tmp_path / "_sandbox"``).
    """
    root = tmp_path / "_sandbox"
    hf_home = root / "hf_home"
    dirs = {
        "HF_HOME": hf_home,
        "HF_HUB_CACHE": hf_home / "hub",
        "HF_ASSETS_CACHE": hf_home / "assets",
        "HF_XET_CACHE": hf_home / "xet",
        "LLMZH_CACHE_DIR": root / "llmzh_cache",
        "LLMZH_HOME": root / "llmzh_home",
        "XDG_CACHE_HOME": root / "xdg_cache",
        "XDG_CONFIG_HOME": root / "xdg_config",
        "XDG_DATA_HOME": root / "xdg_data",
        "XDG_STATE_HOME": root / "xdg_state",
        "MODELSCOPE_CACHE": root / "modelscope_cache",
        "MODELSCOPE_HOME": root / "modelscope_home",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(path))
    for name in _UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "HF_ENDPOINT": CLOSED_ENDPOINT,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_HUB_DISABLE_XET": "1",
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "LLMZH_LANG": "en",
        "LLMZH_SOURCE": "hf",
        "MODELSCOPE_ENDPOINT": CLOSED_ENDPOINT,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FORCE_COLOR", raising=False)

    if request.node.get_closest_marker("allow_network") is None:
        _guard_sockets(monkeypatch)

    # Imported lazily, after the env is sanitized: a first import here already sees the sandbox values.
    _patch_hf_constants(monkeypatch, hf_home)
    point_hf_at(monkeypatch, CLOSED_ENDPOINT)
    yield root
    from huggingface_hub.utils import _http
    from modelscope_hub import set_default_config

    _http.close_session()
    set_default_config(None)  # the client's process-wide config, read from this test's environment


@pytest.fixture(scope="session")
def _fakehub_server() -> Iterator[FakeHub]:
    hub = FakeHub()
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def fakehub(_hf_sandbox: Path, _fakehub_server: FakeHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running, empty FakeHub; ``HF_ENDPOINT`` and ``huggingface_hub.constants.ENDPOINT`` point at it."""
    hub = _fakehub_server
    hub.reset()
    point_hf_at(monkeypatch, hub.url)
    yield hub
    hub.reset()


@pytest.fixture
def hf_sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Make huggingface_hub's retry back-off instantaneous (and observable).

    ``utils/_http.py`` (``http_backoff``: 1, 2, 4, 8, 8 s / ``Retry-After`` + 1 s) and ``file_download.py``
    (``http_get``: 1 s before each resume) call ``time.sleep``; their module-level ``time`` is swapped for a shim
    whose ``sleep`` only records. No huggingface_hub function is replaced.
    """
    from huggingface_hub import file_download
    from huggingface_hub.utils import _http

    recorder = SleepRecorder()
    fake_time = types.SimpleNamespace(
        sleep=recorder.sleep, time=time.time, monotonic=time.monotonic, perf_counter=time.perf_counter
    )
    monkeypatch.setattr(_http, "time", fake_time)
    monkeypatch.setattr(file_download, "time", fake_time)
    return recorder


@pytest.fixture(scope="session")
def _fakems_server() -> Iterator[FakeModelScope]:
    server = FakeModelScope()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fakems(
    _hf_sandbox: Path, _fakems_server: FakeModelScope, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeModelScope]:
    """A running, empty FakeModelScope at ``MODELSCOPE_ENDPOINT``; the client's retries wait no time."""
    from modelscope_hub import _download_control, _legacy_api, _openapi
    from urllib3.util import retry

    server = _fakems_server
    server.reset()
    monkeypatch.setenv("MODELSCOPE_ENDPOINT", server.url)
    # The client's back-off (urllib3 Retry, its download control, the OpenAPI and listing loops) waits no time.
    no_wait = types.SimpleNamespace(sleep=lambda seconds: None, time=time.time, monotonic=time.monotonic)
    monkeypatch.setattr(retry.Retry, "get_backoff_time", lambda self: 0.0)
    monkeypatch.setattr(_download_control._DownloadControl, "sleep", lambda self, seconds: self.check())
    monkeypatch.setattr(_openapi, "time", no_wait)
    monkeypatch.setattr(_legacy_api, "time", no_wait)
    yield server
    server.reset()
