"""Fixtures that start the real imds-emulator binary and run AWS clients against it.

Safety: servers listen on loopback only, every client runs with a temporary HOME and no AWS_*
or proxy variables from the caller, and every process started here is ended by its own PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from imds_helpers import (
    NO_PROXY_VALUE, CaptureServer, aws_cli_command, binary, clean_env, env_var_dropped, run_proc,
)

LISTEN_RE = re.compile(r"listening on (http://\S+/)")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def imds_listen_urls(text: str) -> list:
    """The URLs of the IMDS start lines only: the control API's start line ("admin API
    listening on …") names a URL too, and so does the container endpoint's."""
    return [m.group(1) for line in text.splitlines()
            if "admin API listening" not in line and "container credentials" not in line
            for m in [LISTEN_RE.search(line)] if m]


def _flag_values(args, flag: str) -> list:
    vals = []
    it = list(args)
    for i, a in enumerate(it):
        if a == flag and i + 1 < len(it):
            vals.append(it[i + 1])
        elif a.startswith(flag + "="):
            vals.append(a.split("=", 1)[1])
    return vals


class Emulator:
    """One running `imds-emulator serve` process."""

    def __init__(self, args, workdir: Path, name: str, env: dict):
        self.args = list(args)
        self.name = name
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        listens = _flag_values(self.args, "--listen")
        if not listens:
            self.args = ["--listen", "127.0.0.1:0"] + self.args
            listens = ["127.0.0.1:0"]
        logs = _flag_values(self.args, "--access-log")
        self.access_log_path = Path(logs[-1]) if logs and logs[-1] not in ("-", "off") else None
        self.access_log_off = bool(logs) and logs[-1] == "off"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.cmd = [str(binary()), "serve", *self.args]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=env, cwd=str(workdir))
        self.urls = self._wait_listening(len(listens))
        self.url = self.urls[0]
        parts = urlsplit(self.url)
        self.host = parts.hostname
        self.port = parts.port

    # -- lifecycle
    def _ready(self, text: str) -> bool:
        """Anything beyond the IMDS start lines to wait for; subclasses add their own."""
        return True

    def _wait_listening(self, expected: int) -> list:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = self.stderr_text()
            urls = imds_listen_urls(text)
            if len(urls) >= expected and self._ready(text):
                return urls
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.cmd!r} exited with {self.proc.returncode} before listening\n"
                    f"stderr: {text}\nstdout: {self.stdout_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(
                    f"{self.cmd!r} printed {len(urls)} of {expected} IMDS 'listening on' lines "
                    f"(or missed another start line) within {START_TIMEOUT}s\nstderr: {text}")
            time.sleep(0.02)

    def send_signal(self, sig) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` (SIGTERM), wait up to `timeout` s, return the exit code."""
        self.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"emulator did not exit within {timeout}s after {sig!r}") from None

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait (without signalling) for the process to exit; return the exit code."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"emulator did not exit within {timeout}s") from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for f in (self._out, self._err):
            if not f.closed:
                f.close()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    # -- output
    def stdout_text(self) -> str:
        return self.stdout_path.read_bytes().decode("utf-8", "replace")

    def stderr_text(self) -> str:
        return self.stderr_path.read_bytes().decode("utf-8", "replace")

    def access_log_text(self) -> str:
        if self.access_log_path is not None:
            return self.access_log_path.read_text() if self.access_log_path.exists() else ""
        return self.stdout_text()

    def access_records(self) -> list:
        """Complete JSON lines of the access log (stdout or the --access-log file)."""
        text = self.access_log_text()
        return parse_json_lines(text)

    def wait_records(self, count: int, timeout: float = 5.0) -> list:
        """Wait until the access log holds at least `count` records; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            recs = self.access_records()
            if len(recs) >= count:
                return recs
            if time.monotonic() > deadline:
                raise AssertionError(f"access log has {len(recs)} records, expected >= {count}:\n"
                                     f"{self.access_log_text()[-3000:]}")
            time.sleep(0.05)


def parse_json_lines(text: str) -> list:
    """Parse every complete (newline-terminated) line; a non-JSON line is a test failure."""
    lines = text.split("\n")[:-1]  # the part after the last newline is incomplete
    out = []
    for line in lines:
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise AssertionError(f"access log line is not JSON: {line!r}") from None
        assert isinstance(rec, dict), line
        out.append(rec)
    return out


@contextlib.contextmanager
def started_emulators(make):
    """A factory `start(*args, **kw)` calling `make(n, *args, **kw)` for the n-th emulator,
    every one of which is killed by its PID when the block ends, whatever happened."""
    started = []

    def start(*args, **kw):
        emu = make(len(started), *args, **kw)
        started.append(emu)
        return emu

    try:
        yield start
    finally:
        for emu in started:
            emu.kill()


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory):
    """Factory for emulators shared by the read-only tests of one module."""
    workdir = tmp_path_factory.mktemp("module-emu")
    home = workdir / "home"
    home.mkdir()
    env = clean_env(home)
    with started_emulators(lambda n, *args: Emulator(args, workdir, f"memu{n}", env)) as start:
        yield start


@pytest.fixture
def emulator_env(tmp_path):
    """Environment for the emulator process itself (no real credentials reachable)."""
    home = tmp_path / "emu-home"
    home.mkdir(exist_ok=True)
    return clean_env(home)


@pytest.fixture
def emulator(tmp_path, emulator_env):
    """Factory: emulator(*args) starts `imds-emulator serve --listen 127.0.0.1:0 *args`."""
    def make(n, *args, env: dict | None = None) -> Emulator:
        return Emulator(args, tmp_path, f"emu{n}", env or emulator_env)

    with started_emulators(make) as start:
        yield start


@pytest.fixture
def client_home(tmp_path):
    home = tmp_path / "client-home"
    home.mkdir(exist_ok=True)
    return home


@pytest.fixture
def run_client(client_home):
    """run_client(cmd, endpoint=..., extra_env=..., timeout=...) with the clean environment."""

    def run(cmd, endpoint: str | None = None, extra_env: dict | None = None, timeout: float = 60.0,
            input: str | None = None):
        env = clean_env(client_home, endpoint, extra_env)
        return run_proc(list(cmd), env, timeout=timeout, cwd=str(client_home), input=input)

    return run


@pytest.fixture
def aws_cli():
    """["python", "-m", "awscli"]: the pip AWS CLI v1 as a subprocess command prefix."""
    return aws_cli_command()


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Clean in-process environment for boto3/botocore; returns set_endpoint(url)."""
    home = tmp_path / "boto-home"
    home.mkdir(exist_ok=True)
    for k in list(os.environ):
        if env_var_dropped(k):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", NO_PROXY_VALUE)
    monkeypatch.setenv("no_proxy", NO_PROXY_VALUE)

    def set_endpoint(url: str) -> None:
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)

    return set_endpoint


@pytest.fixture
def capture_sts():
    """A fake STS on 127.0.0.1 that records Authorization / X-Amz-Security-Token."""
    srv = CaptureServer()
    try:
        yield srv
    finally:
        srv.close()
