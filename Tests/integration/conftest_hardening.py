"""Fixtures and helpers for test_hardening.py (issue 13: attack reproductions).

Imported by that module only (not a pytest conftest).

* `run_briefly()` runs `imds-emulator serve --listen 127.0.0.1:0 ARGS` until it exits, prints an
  IMDS `listening on` line, or a time limit passes; an emulator that starts when it should have
  refused is stopped at once (by its PID) and reported as started, so a refusal test fails fast.
* `assert_config_error()` checks the configuration-error contract: exit 2, one stderr line
  naming the key, plus the given words (case-insensitive).
* `ScriptedServer` is a loopback HTTP server whose answers a test writes as a function; it records
  every request (fake IMDS, redirecting or flooding STS, a redirect target). Given a certificate
  from `self_signed_certificate()` (made by `openssl req`), it answers over TLS.
* `PipedStdoutEmulator` is conftest_control's `ControlledEmulator` with stdout connected to a pipe
  that nobody reads (the default access log goes to stdout).
* `process_marker` tags every process a credential_process helper starts with a unique
  environment variable and kills exactly those PIDs at teardown.

Safety: servers listen on 127.0.0.1 only, every process is ended by its own PID, and every wait
is bounded.
"""

from __future__ import annotations

import os
import secrets
import ssl
import stat
import string
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import imds_listen_urls
from conftest_control import ADMIN_LINE_RE, ControlledEmulator
from conftest_sources import assert_one_line_exit
from imds_helpers import binary, kill_until_gone

NOBODY = 65534  # uid/gid of the "attacker" owning planted files

# --------------------------------------------------------------------------- one-shot runs


@dataclass
class BriefRun:
    """What `run_briefly` saw: exit status (None when it started and was stopped by us)."""

    returncode: int | None
    stdout: str
    stderr: str
    elapsed: float
    started: bool = False
    timed_out: bool = False
    peak_rss_kib: int = 0
    rss_exceeded: bool = False

    def describe(self) -> str:
        if self.rss_exceeded:
            how = f"grew past the memory bound ({self.peak_rss_kib} KiB; killed by the test)"
        elif self.started:
            how = "started listening (stopped by the test)"
        elif self.timed_out:
            how = "neither exited nor listened in time (killed by the test)"
        else:
            how = f"exited with {self.returncode} after {self.elapsed:.1f}s"
        return f"emulator {how}\nstderr: {self.stderr[-3000:]}\nstdout: {self.stdout[-1000:]}"


def run_briefly(args, env: dict, workdir: Path, timeout: float = 10.0, name: str = "brief",
                rss_limit_kib: int | None = None) -> BriefRun:
    """`imds-emulator serve --listen 127.0.0.1:0 ARGS` until it exits, starts listening (then it
    is stopped with SIGKILL) or `timeout` seconds pass (then killed). With `rss_limit_kib` its
    peak memory is sampled and it is killed as soon as it passes the limit."""
    out_path = workdir / f"{name}-{uuid.uuid4().hex[:8]}.stdout"
    err_path = out_path.with_suffix(".stderr")
    cmd = [str(binary()), "serve", "--listen", "127.0.0.1:0", *[str(a) for a in args]]
    t0 = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                cwd=str(workdir))
        started = timed_out = exceeded = False
        peak = 0
        try:
            while proc.poll() is None:
                if rss_limit_kib is not None:
                    peak = max(peak, status_kib(proc.pid, "VmHWM"), status_kib(proc.pid, "VmRSS"))
                    if peak > rss_limit_kib:
                        exceeded = True
                        break
                if imds_listen_urls(err_path.read_bytes().decode("utf-8", "replace")):
                    started = True
                    break
                if time.monotonic() - t0 > timeout:
                    timed_out = True
                    break
                time.sleep(0.01)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
    elapsed = time.monotonic() - t0
    stopped = started or timed_out or exceeded
    return BriefRun(None if stopped else proc.returncode,
                    out_path.read_bytes().decode("utf-8", "replace"),
                    err_path.read_bytes().decode("utf-8", "replace"), elapsed, started, timed_out,
                    peak, exceeded)


def assert_config_error(r: BriefRun, key: str, *words: str) -> str:
    """Exit 2 with exactly one stderr line naming `key` and containing every one of `words`
    (case-insensitive). Returns the line."""
    assert not r.started and not r.timed_out, f"expected exit 2 naming {key!r}; {r.describe()}"
    line = assert_one_line_exit(r, 2, [key])
    low = line.lower()
    missing = [w for w in words if w.lower() not in low]
    assert not missing, f"the {key!r} error does not contain {missing!r}: {line!r}"
    return line


def stderr_lines_with(text: str, *words: str) -> list:
    """The lines of `text` containing every one of `words`, case-insensitively."""
    return [l for l in text.splitlines() if all(w.lower() in l.lower() for w in words)]


# --------------------------------------------------------------------------- files


def plant(path: Path, data: bytes | str, mode: int = 0o600, owner: int | None = None) -> Path:
    """Write `data` to `path` with `mode`, owned by `owner` (uid = gid) when given."""
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner, owner)
    return path


def file_mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def snapshot(path: Path) -> tuple:
    """(content, mode, uid) of a regular file, to prove later that nothing touched it."""
    st = os.lstat(path)
    return path.read_bytes(), stat.S_IMODE(st.st_mode), st.st_uid


def write_script(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chmod(path, 0o700)
    return path


# --------------------------------------------------------------------------- fake credentials

_B32 = string.ascii_uppercase + "234567"
_ALNUM = string.ascii_letters + string.digits


def fake_process_credentials(expiration: str | None) -> dict:
    """credential_process JSON with made-up keys (never real: random, test-only)."""
    doc = {"Version": 1,
           "AccessKeyId": "ASIA" + "".join(secrets.choice(_B32) for _ in range(16)),
           "SecretAccessKey": "".join(secrets.choice(_ALNUM) for _ in range(40)),
           "SessionToken": "IQoJb3JpZ2luX2Vj" + "".join(secrets.choice(_ALNUM) for _ in range(400))}
    if expiration is not None:
        doc["Expiration"] = expiration
    return doc


def iso_in(seconds: float, fraction: str = "") -> str:
    """UTC time `seconds` from now as YYYY-MM-DDTHH:MM:SS[.fraction]Z."""
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + seconds))
    return base + (f".{fraction}" if fraction else "") + "Z"


# --------------------------------------------------------------------------- scripted server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict  # lower-case name -> value
    body: bytes = b""


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self):
        srv = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if 0 < length <= 1 << 20 else b""
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with srv.lock:
            srv.requests.append(seen)
        try:
            srv.answer(self, seen)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = _handle

    def log_message(self, *args):
        pass

    def reply(self, status: int, body: bytes = b"", headers=(), content_type="text/plain"):
        """A complete answer with Content-Length and Connection: close."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def self_signed_certificate(directory: Path, names: str) -> tuple[Path, Path]:
    """(certificate, key) made by `openssl req` in `directory`; `names` as in subjectAltName,
    e.g. `DNS:localhost,IP:127.0.0.1`. The certificate is its own CA."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=imds-emulator test", "-addext",
                    f"subjectAltName={names}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class ScriptedServer:
    """HTTP on 127.0.0.1:<free port>, or HTTPS (`https://localhost:PORT/`) with `tls=(cert,
    key)`; `answer(handler, seen)` writes each answer (see `_ScriptedHandler.reply`); every
    request is recorded in `.requests`."""

    def __init__(self, answer, tls: tuple[Path, Path] | None = None):
        self.answer = answer
        self.requests: list = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://localhost:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def seen(self) -> list:
        with self.lock:
            return list(self.requests)

    def close(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def scripted_server():
    """Factory: scripted_server(answer, tls=None) -> ScriptedServer, closed at teardown."""
    made = []

    def make(answer, tls=None) -> ScriptedServer:
        srv = ScriptedServer(answer, tls)
        made.append(srv)
        return srv

    try:
        yield make
    finally:
        for srv in made:
            srv.close()


# --------------------------------------------------------------------------- stdout into a pipe


class PipedStdoutEmulator(ControlledEmulator):
    """`serve --listen 127.0.0.1:0 ARGS --admin-listen 127.0.0.1:0` whose stdout (the default
    access log) is a pipe the test never reads; stderr goes to a file as usual."""

    def __init__(self, args, workdir: Path, name: str, env: dict):
        # What Emulator.__init__ and ControlledEmulator.__init__ set up, with stdout=PIPE.
        self.expect_admin = True
        self.admin_url = None
        self.token_file = None
        self._token = None
        self.args = ["--listen", "127.0.0.1:0", *args, "--admin-listen", "127.0.0.1:0"]
        self.name = name
        self.stdout_path = workdir / f"{name}.stdout-unused"
        self.stdout_path.write_bytes(b"")
        self.stderr_path = workdir / f"{name}.stderr"
        self.access_log_path = None
        self.access_log_off = False
        self._err = open(self.stderr_path, "wb")
        self.cmd = [str(binary()), "serve", *self.args]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._err, env=env, cwd=str(workdir))
        self._out = self.proc.stdout  # closed (never read) by kill()
        self.urls = self._wait_listening(1)
        self.url = self.urls[0]
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port
        m = ADMIN_LINE_RE.search(self.stderr_text())
        self.admin_url = m.group(1)
        self.token_file = Path(m.group(2))
        admin = urlsplit(self.admin_url)
        self.admin_host, self.admin_port = admin.hostname, admin.port


# --------------------------------------------------------------------------- marked processes

MARK_VAR = "IMDS_HARDENING_MARK"


def marked_pids(marker: str) -> list:
    """PIDs whose environment holds MARK_VAR=marker (only helpers these tests started)."""
    needle = f"{MARK_VAR}={marker}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if needle in env:
            out.append(int(entry))
    return out


@dataclass
class ProcessMarker:
    value: str = field(default_factory=lambda: f"imds-hardening-{uuid.uuid4().hex}")

    def command(self, script: Path) -> str:
        """The --credential-process value: `script` run with the marker in its environment, so
        it and everything it starts (setsid or not) can be found and killed."""
        return f"{MARK_VAR}={self.value} /bin/sh {script}"

    def pids(self) -> list:
        return marked_pids(self.value)


@pytest.fixture
def process_marker():
    """A ProcessMarker; at teardown every process carrying it is killed by PID."""
    marker = ProcessMarker()
    try:
        yield marker
    finally:
        kill_until_gone(marker.pids, rounds=5, wait=1.0)


# --------------------------------------------------------------------------- memory


def status_kib(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
