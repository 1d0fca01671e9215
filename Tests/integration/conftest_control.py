"""Fixtures and helpers for the control API tests (test_control_api.py, test_sdk_refresh.py).

Imported by those modules (not a pytest conftest, so it only affects them).

* `ControlledEmulator` is the `Emulator` of conftest.py started with `--admin-listen`: it waits
  for the IMDS `listening on` line(s) *and* the admin start line
  `admin API listening on http://HOST:PORT/ (bearer token in FILE)`, reads the token from FILE and
  offers one small method per control route (docs/control-api.md).
* `control_emulator(*args, admin=..., token_file=...)` is the factory fixture;
  `module_control_emulator` the same for tests that share one process.
* `raw_exchange()` / `imds_request()` talk to IMDS over a fresh socket, optionally bound to another
  loopback source address (127.0.0.2, ...) so the `client` fault filter and per-client journal
  records can be checked; `raw_exchange` also reports a connection closed without any byte.
* `parse_metrics()` reads the Prometheus text format.
* `BotocoreClock` shifts botocore's own notion of "now" (the refresh windows and the
  static-stability check) by the same offset PUT to `/v1/clock`.

Safety: every socket goes to or comes from 127.0.0.0/8; every process is ended by its own PID;
the emulator's environment is conftest.py's clean one (HOME in the test's tmp dir, no AWS_*
except AWS_DEFAULT_REGION) with TMPDIR pointing into the test's tmp dir as well.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import http.client
import json
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Emulator, started_emulators
from imds_helpers import (
    TEST_UA, TOKEN_HEADER, build_request, clean_env, free_port, parse_response,
)

ROLE = "imds-emulator"
ADMIN_LINE_RE = re.compile(r"admin API listening on (http://\S+/) \(bearer token in (.+?)\)\s*$",
                           re.M)
ISO_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
SIX_METRICS = [
    "imds_requests_total",
    "imds_tokens_issued_total",
    "imds_credential_fetches_total",
    "imds_rotations_total",
    "imds_source_refresh_failures_total",
    "imds_credentials_expiry_seconds",
]

_USE_TOKEN = object()


def iso_epoch(s: str) -> float:
    """`YYYY-MM-DDTHH:MM:SS[.fff]Z` → epoch seconds."""
    m = ISO_RE.match(s or "")
    assert m, f"not an ISO-8601 UTC time: {s!r}"
    whole = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return whole + (float(m.group(2)) if m.group(2) else 0.0)


# --------------------------------------------------------------------------- admin answers


@dataclass
class ApiResponse:
    status: int
    headers: dict  # lower-case name -> value
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError(f"admin answer is not JSON: {self!r}") from None

    def __repr__(self) -> str:
        return f"<ApiResponse {self.status} {self.headers.get('content-type')!r} {self.body[:400]!r}>"


def assert_json_answer(resp: ApiResponse, status: int):
    """Contract 'Conventions': JSON, Content-Type application/json, ending in a newline."""
    assert resp.status == status, f"expected {status}, got {resp!r}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.split(";")[0].strip() == "application/json", resp
    assert resp.body.endswith(b"\n"), f"JSON answer does not end in a newline: {resp!r}"
    return resp.json


def assert_error_answer(resp: ApiResponse, status: int, names: str | None = None) -> str:
    """`{"error": "…"}` with the given status; the message names `names` when given."""
    doc = assert_json_answer(resp, status)
    assert isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"], doc
    if names is not None:
        assert names in doc["error"], f"error does not name {names!r}: {doc['error']!r}"
    return doc["error"]


# --------------------------------------------------------------------------- emulator


class ControlledEmulator(Emulator):
    """`imds-emulator serve` with the control API; IMDS address in .host/.port/.url as usual."""

    def __init__(self, args, workdir: Path, name: str, env: dict, admin: bool = True):
        self.expect_admin = admin
        self.admin_url = None
        self.token_file = None
        self._token = None
        super().__init__(args, workdir, name, env)
        if admin:
            m = ADMIN_LINE_RE.search(self.stderr_text())
            self.admin_url = m.group(1)
            self.token_file = Path(m.group(2))
            from urllib.parse import urlsplit
            parts = urlsplit(self.admin_url)
            self.admin_host, self.admin_port = parts.hostname, parts.port

    def _ready(self, text: str) -> bool:
        return not self.expect_admin or bool(ADMIN_LINE_RE.search(text))

    # -- token
    @property
    def token(self) -> str:
        if self._token is None:
            deadline = time.monotonic() + 5
            while True:
                text = self.token_file.read_text() if self.token_file.exists() else ""
                if text.strip():
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"token file {self.token_file} missing or empty")
                time.sleep(0.02)
            self._token = text.strip()
        return self._token

    # -- raw admin request
    def api(self, method: str, path: str, body=None, *, auth=_USE_TOKEN, headers=None,
            timeout: float = 10.0) -> ApiResponse:
        """One request to the control port. `auth`: the whole Authorization value, None for none."""
        h = {"Connection": "close", "User-Agent": TEST_UA}
        if auth is _USE_TOKEN:
            h["Authorization"] = f"Bearer {self.token}"
        elif auth is not None:
            h["Authorization"] = auth
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.admin_host, self.admin_port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            payload = r.read()
            return ApiResponse(r.status, {k.lower(): v for k, v in r.getheaders()}, payload)
        finally:
            conn.close()

    def call(self, method: str, path: str, body=None, expect: int = 200):
        """Authenticated request whose JSON answer must have status `expect`; returns the JSON."""
        return assert_json_answer(self.api(method, path, body), expect)

    # -- one helper per route
    def healthz(self) -> ApiResponse:
        return self.api("GET", "/healthz", auth=None)

    def state(self) -> dict:
        return self.call("GET", "/v1/state")

    def role_state(self) -> dict:
        roles = self.state()["roles"]
        assert len(roles) == 1, roles
        return roles[0]

    def rotate(self, role: str = ROLE) -> dict:
        return self.call("POST", f"/v1/roles/{role}/rotate")

    def expire(self, serve_expired: bool | None = None, role: str = ROLE) -> dict:
        body = None if serve_expired is None else {"serve_expired": serve_expired}
        return self.call("POST", f"/v1/roles/{role}/expire", body)

    def put_faults(self, faults: list) -> dict:
        return self.call("PUT", "/v1/faults", {"faults": faults})

    def clear_faults(self) -> dict:
        return self.call("DELETE", "/v1/faults")

    def set_clock(self, offset: int) -> dict:
        return self.call("PUT", "/v1/clock", {"offset_seconds": offset})

    def settings(self, **kw) -> dict:
        return self.call("PUT", "/v1/settings", kw)

    def revoke(self) -> dict:
        return self.call("POST", "/v1/tokens/revoke")

    def reset(self) -> dict:
        return self.call("POST", "/v1/reset")

    def journal(self, since: int | None = None) -> dict:
        path = "/v1/journal" if since is None else f"/v1/journal?since={since}"
        doc = self.call("GET", path)
        assert isinstance(doc.get("records"), list) and isinstance(doc.get("next"), int), doc
        return doc

    def journal_all(self, since: int = 0) -> list:
        """Every record with seq > since, following `next` (bounded)."""
        out = []
        for _ in range(50):
            doc = self.journal(since)
            out += doc["records"]
            if not doc["records"]:
                return out
            since = doc["next"]
        raise AssertionError("journal paging did not end after 50 pages")

    def journal_seq(self) -> int:
        """The current end of the journal (pass it as `since` to see only later records)."""
        recs = self.journal_all()
        return recs[-1]["seq"] if recs else 0

    def metrics_text(self) -> str:
        r = self.api("GET", "/metrics")
        assert r.status == 200, r
        return r.text

    def metrics(self) -> dict:
        return parse_metrics(self.metrics_text())


def _start_controlled(workdir: Path, name: str, env: dict, args, admin, token_file,
                      extra_admin_args=()) -> ControlledEmulator:
    args = list(args)
    if admin is not None:
        args += ["--admin-listen", admin]
        if token_file is not None:
            args += ["--admin-token-file", str(token_file)]
        args += list(extra_admin_args)
    emu = ControlledEmulator(args, workdir, name, env, admin=admin is not None)
    if admin is not None and admin.endswith(":0") and emu.admin_port == 0:
        # Port 0 not resolved in the start line: pick a free port ourselves and start again.
        emu.kill()
        host = admin.rsplit(":", 1)[0]
        args[args.index(admin)] = f"{host}:{free_port()}"
        emu = ControlledEmulator(args, workdir, name + "b", env, admin=True)
    return emu


@pytest.fixture
def control_env(tmp_path, emulator_env):
    """The emulator's environment: conftest's clean env plus TMPDIR inside the test's tmp dir."""
    tmpdir = tmp_path / "emu-tmp"
    tmpdir.mkdir(exist_ok=True)
    env = dict(emulator_env)
    env["TMPDIR"] = str(tmpdir)
    return env


@pytest.fixture
def control_emulator(tmp_path, control_env):
    """Factory: control_emulator(*args, admin="127.0.0.1:0", token_file=None).

    `admin=None` starts without --admin-listen."""
    def make(n, *args, admin: str | None = "127.0.0.1:0", token_file=None,
             env: dict | None = None) -> ControlledEmulator:
        return _start_controlled(tmp_path, f"cemu{n}", env or control_env, args, admin, token_file)

    with started_emulators(make) as start:
        yield start


@pytest.fixture(scope="module")
def module_control_emulator(tmp_path_factory):
    """Factory for emulators shared by the tests of one module (tests that change no state, or
    that only compare before/after): the same arguments give the same running process."""
    workdir = tmp_path_factory.mktemp("module-cemu")
    home = workdir / "home"
    home.mkdir()
    tmpdir = workdir / "tmp"
    tmpdir.mkdir()
    env = clean_env(home)
    env["TMPDIR"] = str(tmpdir)
    started = {}

    def start(*args, admin: str = "127.0.0.1:0") -> ControlledEmulator:
        key = (args, admin)
        emu = started.get(key)
        if emu is None or not emu.running:
            emu = _start_controlled(workdir, f"mcemu{len(started)}", env, args, admin, None)
            started[key] = emu
        return emu

    try:
        yield start
    finally:
        for emu in started.values():
            emu.kill()


# --------------------------------------------------------------------------- raw IMDS


def raw_exchange(host: str, port: int, data: bytes, source: str | None = None,
                 timeout: float = 5.0) -> tuple:
    """Send `data`, read until the server closes. Returns (bytes, reset: bool, seconds)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if source is not None:
            s.bind((source, 0))
        s.connect((host, port))
        s.sendall(data)
        chunks, reset = [], False
        deadline = time.monotonic() + timeout
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                reset = True
                break
            except socket.timeout:
                raise AssertionError(f"server did not close within {timeout}s; got "
                                     f"{b''.join(chunks)[:300]!r}") from None
            if not b:
                break
            chunks.append(b)
            if time.monotonic() > deadline:
                raise AssertionError("response took too long")
        return b"".join(chunks), reset, time.monotonic() - t0
    finally:
        s.close()


def imds_request(emu, method: str, path: str, token: str | None = None, headers=(),
                 ua: str | None = TEST_UA, source: str | None = None, timeout: float = 5.0):
    """One IMDS request over a fresh socket (optionally from `source`); a parsed Response."""
    h = list(headers)
    if token is not None:
        h.append((TOKEN_HEADER, token))
    raw, _, _ = raw_exchange(emu.host, emu.port, build_request(method, path, emu.host, emu.port,
                                                               h, b"", ua), source, timeout)
    assert raw, f"{method} {path}: connection closed without an answer"
    return parse_response(raw)


def timed_request(emu, method: str, path: str, token: str | None = None, headers=(),
                  ua: str | None = TEST_UA, timeout: float = 5.0):
    """(parsed Response, seconds)."""
    h = list(headers)
    if token is not None:
        h.append((TOKEN_HEADER, token))
    raw, _, secs = raw_exchange(emu.host, emu.port, build_request(method, path, emu.host, emu.port,
                                                                  h, b"", ua), None, timeout)
    assert raw, f"{method} {path}: connection closed without an answer"
    return parse_response(raw), secs


# --------------------------------------------------------------------------- metrics

_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$")
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_metrics(text: str) -> dict:
    """Prometheus text format → {"samples": {(name, ((k, v), ...)): value}, "types": {name: type}}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = _SAMPLE_RE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = tuple(sorted(_LABEL_RE.findall(m.group(3) or "")))
        samples[(m.group(1), labels)] = float(m.group(4))
    return {"samples": samples, "types": types}


def metric(parsed: dict, name: str, **labels) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when there is none)."""
    total = 0.0
    for (n, lab), v in parsed["samples"].items():
        d = dict(lab)
        if n == name and all(d.get(k) == v2 for k, v2 in labels.items()):
            total += v
    return total


# --------------------------------------------------------------------------- botocore clock


class BotocoreClock:
    """Moves botocore's "now" by `offset` seconds, like PUT /v1/clock moves the emulator's.

    botocore decides refreshes from its local time, in two places (botocore 1.43.11):
    * `RefreshableCredentials._time_fetcher` (the advisory/mandatory windows), which defaults to
      `botocore.credentials._local_now` -- bound as a default argument when the module is
      imported, so patching the module function is not enough: `attach(creds)` also sets the
      credential object's `_time_fetcher`;
    * `InstanceMetadataFetcher._evaluate_expiration` (static stability), which calls
      `botocore.utils.get_current_datetime` (imported from botocore.compat).
    """

    def __init__(self, monkeypatch):
        import botocore.credentials
        import botocore.utils

        self.offset = 0
        real_local_now = botocore.credentials._local_now
        real_current = botocore.utils.get_current_datetime

        def local_now():
            return real_local_now() + _dt.timedelta(seconds=self.offset)

        def current_datetime(remove_tzinfo=True):
            return real_current(remove_tzinfo) + _dt.timedelta(seconds=self.offset)

        self.local_now = local_now
        monkeypatch.setattr(botocore.credentials, "_local_now", local_now)
        monkeypatch.setattr(botocore.utils, "get_current_datetime", current_datetime)

    def attach(self, creds) -> None:
        creds._time_fetcher = self.local_now

    def now_epoch(self) -> float:
        return time.time() + self.offset

    def shift(self, emu: ControlledEmulator, offset: int) -> dict:
        """PUT /v1/clock {offset} and move botocore by the same offset."""
        answer = emu.set_clock(offset)
        self.offset = offset
        return answer


@pytest.fixture
def botocore_clock(monkeypatch):
    return BotocoreClock(monkeypatch)
