"""Fixtures and helpers for test_sources.py (credential sources: assume-role, static, process).

Imported by test_sources.py (not a pytest conftest, so it only affects that module).

* `MotoServer` runs moto's real server (`python -m moto.server`) on a fixed loopback port and can
  be stopped and started again on the same port (STS outages).
* `RecordingProxy` sits between the emulator and moto and records every STS request (form
  parameters, signing headers) and every response body, so tests can check what the emulator
  asked STS for and collect every secret STS handed out. It can also answer a canned STS error.
* `source_env()` builds the emulator's environment: the caller's environment with every AWS_*
  and proxy variable removed, HOME set to an empty temporary folder, then only what the test sets.

Safety: everything listens on and connects to 127.0.0.1 only; processes are ended by their PID.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from imds_helpers import binary, clean_env, env_var_dropped, free_port, run_proc

# --------------------------------------------------------------------------- fake keys

# AWS documentation example keys: never real.
ENV_KEY = "AKIAIOSFODNN7EXAMPLE"
ENV_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BASE_KEY = "AKIAI44QH8DHBEXAMPLE"
BASE_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
DEFAULT_KEY = "AKIAZZDEFAULTEXAMPLE"
DEFAULT_SECRET = "dEfAuLtPr0f1leSecretKeyEXAMPLEdEfAuLt123"
SOURCE_SESSION_TOKEN = "FwoGZXIvYXdzSOURCEsessionTOKENforTESTSonly" + "x" * 80

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/test-role"
OTHER_ACCOUNT = "210987654321"
DEV_ROLE_ARN = f"arn:aws:iam::{OTHER_ACCOUNT}:role/dev-role"
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/me"

assert len(DEFAULT_KEY) == 20 and len(DEFAULT_SECRET) == 40

MOTO_START_TIMEOUT = 30.0


# --------------------------------------------------------------------------- environments


def source_env(home: Path, extra: dict | None = None) -> dict:
    """Environment for an emulator: no AWS_* at all (not even a region), HOME=home, then extra."""
    env = clean_env(home)
    for k in list(env):
        if env_var_dropped(k):
            del env[k]
    env.update(extra or {})
    return env


def key_env(session_token: str | None = None) -> dict:
    env = {"AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET}
    if session_token:
        env["AWS_SESSION_TOKEN"] = session_token
    return env


# --------------------------------------------------------------------------- moto


class MotoServer:
    """moto's server on 127.0.0.1:PORT; stop() and start() keep the same port."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.home = workdir / "moto-home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _answers(self) -> bool:
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    self.url + "moto-api/", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def start(self) -> "MotoServer":
        assert not self.running, "moto is already running"
        self.starts += 1
        self._log = open(self.workdir / f"moto-{self.port}-{self.starts}.log", "wb")
        env = source_env(self.home)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
            cwd=str(self.home))
        deadline = time.monotonic() + MOTO_START_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"moto exited with {self.proc.returncode}: {self.log_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"moto did not answer within {MOTO_START_TIMEOUT}s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self._log is not None and not self._log.closed:
            self._log.close()
        # Bounded: the port must refuse connections before the caller goes on.
        deadline = time.monotonic() + 5
        while self._answers() and time.monotonic() < deadline:
            time.sleep(0.05)

    def log_text(self) -> str:
        path = self.workdir / f"moto-{self.port}-{self.starts}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """One moto server shared by the tests of the module that do not stop it."""
    srv = MotoServer(tmp_path_factory.mktemp("moto-shared"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def moto_factory(tmp_path):
    """moto_factory(start=True): a private moto server (for outage tests)."""
    made = []

    def make(start: bool = True) -> MotoServer:
        srv = MotoServer(tmp_path / f"moto{len(made)}")
        srv.workdir.mkdir(parents=True, exist_ok=True)
        made.append(srv)
        if start:
            srv.start()
        return srv

    try:
        yield make
    finally:
        for srv in made:
            srv.stop()


# --------------------------------------------------------------------------- recording proxy

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "upgrade", "content-length"}

STS_ACCESS_DENIED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
    "<Message>User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
    "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/test-role</Message></Error>"
    "<RequestId>4f1c9e0a-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        proxy: RecordingProxy = self.server.proxy
        body = self._read_body()
        params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        try:
            params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()})
        except UnicodeDecodeError:
            pass
        rec = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "params": params,
            "body": body,
            "status": None,
            "response": "",
        }
        with proxy.lock:
            proxy.records.append(rec)
            fail = proxy.fail_with
        ctype = "text/xml"
        if fail is not None:
            status, data = fail[0], fail[1].encode()
        else:
            up = urlsplit(proxy.upstream)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=15)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
                ctype = resp.getheader("Content-Type") or ctype
            except OSError as e:
                status, data = 502, f"upstream unreachable: {e}".encode()
                ctype = "text/plain"
            finally:
                conn.close()
        rec["status"] = status
        rec["response"] = data.decode("utf-8", "replace")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    do_POST = do_GET = _handle

    def log_message(self, *args):
        pass


class RecordingProxy:
    """Forwards STS requests to `upstream` (moto) and records requests and responses."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.records: list = []
        self.lock = threading.Lock()
        self.fail_with: tuple | None = None  # (status, body) answered instead of forwarding
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self.httpd.daemon_threads = True
        self.httpd.proxy = self
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def calls(self, action: str | None = None) -> list:
        with self.lock:
            recs = list(self.records)
        return [r for r in recs if action is None or r["params"].get("Action") == action]

    def issued_secrets(self) -> set:
        """Every SecretAccessKey and SessionToken that went back to the emulator."""
        out = set()
        for r in self.calls():
            out.update(re.findall(r"<SecretAccessKey>([^<]+)</SecretAccessKey>", r["response"]))
            out.update(re.findall(r"<SessionToken>([^<]+)</SessionToken>", r["response"]))
        return out

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def sts_proxy():
    """sts_proxy(upstream_url) -> RecordingProxy in front of `upstream_url` (moto)."""
    made = []

    def make(upstream: str) -> RecordingProxy:
        p = RecordingProxy(upstream)
        made.append(p)
        return p

    try:
        yield make
    finally:
        for p in made:
            p.close()


def signing_scope(rec: dict) -> tuple:
    """(access key id, region) from the SigV4 Authorization header of a recorded request."""
    auth = rec["headers"].get("authorization") or ""
    m = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", auth)
    assert m, f"request not SigV4-signed: Authorization={auth!r}"
    assert m.group(3) == "sts", f"signed for service {m.group(3)!r}, not sts"
    return m.group(1), m.group(2)


# --------------------------------------------------------------------------- credential_process script

PROCESS_SCRIPT = r'''
"""credential_process stand-in for the tests; behaviour chosen by the first line of a mode file."""
import json, secrets, string, sys, time

mode_file, ledger = sys.argv[1], sys.argv[2]
life = sys.argv[3] if len(sys.argv) > 3 else "8"
mode = open(mode_file).read().strip()
B32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
BAIT = "STDOUTBAITs3cr3tNeverQuoteMe0123456789ab"


def rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def fresh():
    return {"Version": 1, "AccessKeyId": "ASIA" + rand(B32, 16),
            "SecretAccessKey": rand(ALNUM, 40), "SessionToken": "IQoJb3JpZ2luX2Vj" + rand(ALNUM, 400)}


if mode == "ok":
    doc = fresh()
    if life != "none":
        doc["Expiration"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + int(life)))
    with open(ledger, "a") as f:
        f.write(json.dumps(doc) + "\n")
    print(json.dumps(doc, indent=2))
elif mode == "fail":
    print('{"Version": 1, "AccessKeyId": "ASIAAAAAAAAAAAAAAAAA", "SecretAccessKey": "%s"' % BAIT)
    sys.stdout.flush()
    print("vault sealed", file=sys.stderr)
    sys.exit(1)
elif mode == "badjson":
    print('{"Version": 1, "AccessKeyId": "ASIAAAAAAAAAAAAAAAAA", "SecretAccessKey": "%s", ' % BAIT)
elif mode == "nosecret":
    doc = fresh()
    del doc["SecretAccessKey"]
    doc["SessionToken"] = BAIT
    print(json.dumps(doc))
elif mode == "version2":
    doc = fresh()
    doc["Version"] = 2
    doc["SecretAccessKey"] = BAIT
    print(json.dumps(doc))
else:
    print("unknown mode " + mode, file=sys.stderr)
    sys.exit(9)
'''

BAIT = "STDOUTBAITs3cr3tNeverQuoteMe0123456789ab"


class ProcessScript:
    """The script, its mode file and the ledger of every set it printed."""

    def __init__(self, workdir: Path, mode: str = "ok", life: str = "8"):
        self.script = workdir / "cred_process.py"
        self.script.write_text(PROCESS_SCRIPT)
        self.mode_file = workdir / "mode"
        self.ledger = workdir / "issued.jsonl"
        self.set_mode(mode)
        self.command = " ".join(shlex.quote(str(a)) for a in (
            sys.executable, self.script, self.mode_file, self.ledger, life))

    def set_mode(self, mode: str) -> None:
        tmp = self.mode_file.with_suffix(".tmp")
        tmp.write_text(mode + "\n")
        os.replace(tmp, self.mode_file)  # atomic: the script never reads half a file

    def issued(self) -> list:
        if not self.ledger.exists():
            return []
        return [json.loads(l) for l in self.ledger.read_text().splitlines() if l.strip()]

    def issued_secrets(self) -> set:
        out = {BAIT}
        for d in self.issued():
            out.add(d["SecretAccessKey"])
            out.add(d["SessionToken"])
        return out


# --------------------------------------------------------------------------- one-shot runs


def run_serve(args, env: dict, cwd: Path, timeout: float = 20.0):
    """`imds-emulator serve --listen 127.0.0.1:0 ARGS` to completion (bounded); + elapsed s."""
    t0 = time.monotonic()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0", *args], env,
                 timeout=timeout, cwd=str(cwd))
    return r, time.monotonic() - t0


def stderr_lines(text: str) -> list:
    return [l for l in text.split("\n") if l.strip()]


def assert_one_line_exit(result, code: int, needles) -> str:
    """Exit `code`, exactly one stderr line naming one of `needles`, never listening."""
    err = result.stderr
    lines = stderr_lines(err)
    assert result.returncode == code, f"exit {result.returncode}, expected {code}; stderr: {err!r}"
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}: {err!r}"
    line = lines[0]
    assert any(n.lower() in line.lower() for n in needles), \
        f"none of {list(needles)!r} named in {line!r}"
    assert "Traceback" not in err and "Fatal error" not in err, err
    assert "listening on" not in err + result.stdout, err
    return line


# --------------------------------------------------------------------------- secrets


def secret_forms(s: str) -> set:
    """The secret and the ways it could appear in text or JSON, plus a 24-char prefix."""
    forms = {s, s.replace("/", "\\/"), json.dumps(s)[1:-1]}
    if len(s) > 24:
        forms |= {s[:24], s[:24].replace("/", "\\/")}
    return forms


def assert_no_secrets(emu, secrets, extra_outputs: dict | None = None) -> None:
    """None of `secrets` appears in the emulator's stdout, stderr or access-log file."""
    secrets = {s for s in secrets if s and len(s) >= 16}
    assert secrets, "no secrets to look for: the check would be vacuous"
    outputs = {"stdout": emu.stdout_text(), "stderr": emu.stderr_text()}
    if emu.access_log_path is not None:
        outputs["access log"] = emu.access_log_text()
    outputs.update(extra_outputs or {})
    for name, text in outputs.items():
        for s in secrets:
            for f in secret_forms(s):
                assert f not in text, f"a secret (starting {s[:6]!r}) appears in {name}"
