"""Fixtures and helpers for the tests that need network namespaces or the newer listeners
(test_link_local.py, test_hop_limit.py, test_docker_files.py, test_host_check.py,
test_container_endpoint.py).

Imported by those modules (not a pytest conftest, so it only affects them).

* `Netns` is one network namespace this test run created (`ip netns add`); `.cmd(argv)` prefixes
  `ip netns exec NAME`, `.run(argv)` runs a bounded command inside it with a clean environment.
* `netns_factory()` makes a fresh namespace with only `lo` up; `link_local_ns()` one made by
  `scripts/netns-link-local up` (or by hand while the script does not exist) with 169.254.169.254
  and fd00:ec2::254 on `lo`; `hops()` the three namespaces of `scripts/netns-hops up`
  (client, router, imds; built by hand while the script does not exist).
* `FeatureEmulator` is conftest.py's `Emulator`, optionally started under `ip netns exec`; it
  counts only the IMDS `listening on` lines (not the admin or container ones) and can wait for
  the container endpoint's port. An emulator inside a namespace has `.host = .port = None`, so
  the raw-socket helpers of imds_helpers.py (which run in the root namespace) cannot reach it by
  mistake; use `ns_http()` / curl under `ip netns exec` instead.

Safety: the IMDS/ECS/EKS link-local addresses are only ever used inside namespaces created here
and only by processes started with `ip netns exec NAME`. Every namespace gets a unique name
(`imdst-<pid>-<n>`) and is deleted at teardown, also on failure, after the processes inside it
(all started by these tests) are killed by PID. Every client runs with HOME in the test's tmp dir
and no AWS_* or proxy variable from the caller. Every wait is bounded.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import START_TIMEOUT, Emulator, started_emulators
from imds_helpers import REPO, binary, clean_env, kill_until_gone, run_proc

IMDS_V4 = "169.254.169.254"
IMDS_V6 = "fd00:ec2::254"
SCRIPTS = REPO / "scripts"
LINK_LOCAL_SCRIPT = SCRIPTS / "netns-link-local"
HOPS_SCRIPT = SCRIPTS / "netns-hops"
ENTRYPOINT = REPO / "docker" / "entrypoint"

_ns_counter = itertools.count()


def ns_unique_name() -> str:
    return f"imdst-{os.getpid()}-{next(_ns_counter)}"


def _ip(*args, timeout: float = 15.0, check: bool = False) -> subprocess.CompletedProcess:
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def ns_exists(name: str) -> bool:
    out = _ip("netns", "list").stdout
    return any(line.split()[0] == name for line in out.splitlines() if line.strip())


def ns_pids(name: str) -> list:
    r = _ip("netns", "pids", name)
    return [int(x) for x in r.stdout.split() if x.isdigit()] if r.returncode == 0 else []


def ns_destroy(name: str) -> None:
    """Kill (by PID) what runs inside our namespace `name`, then delete it. Never raises."""
    try:
        if not ns_exists(name):
            return
        kill_until_gone(lambda: ns_pids(name))
        _ip("netns", "del", name)
    except Exception as e:  # teardown must go on with the other namespaces
        print(f"warning: could not delete namespace {name}: {e}", file=sys.stderr)


class Netns:
    """A network namespace created by this test run."""

    def __init__(self, name: str, home: Path):
        self.name = name
        self.home = home

    def __repr__(self) -> str:
        return f"<Netns {self.name}>"

    def cmd(self, argv) -> list:
        return ["ip", "netns", "exec", self.name, *[str(a) for a in argv]]

    def env(self, extra: dict | None = None) -> dict:
        return clean_env(self.home, None, extra)

    def run(self, argv, extra_env: dict | None = None, timeout: float = 60.0, input=None,
            env: dict | None = None) -> subprocess.CompletedProcess:
        """Run argv inside the namespace (clean env, no endpoint variable unless given)."""
        return run_proc(self.cmd(argv), env if env is not None else self.env(extra_env),
                        timeout=timeout, cwd=str(self.home), input=input)

    def ip(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        return _ip("-n", self.name, *args, check=check)

    def lo_addresses(self) -> set:
        out = self.ip("-o", "addr", "show", "dev", "lo").stdout
        return {m.group(1) for m in re.finditer(r"\binet6? (\S+?)/\d+", out)}

    def lo_is_up(self) -> bool:
        out = self.ip("-o", "link", "show", "dev", "lo").stdout
        return bool(re.search(r"[<,]UP[,>]", out))

    def sysctl(self, key: str) -> str:
        r = self.run(["cat", "/proc/sys/" + key.replace(".", "/")], timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def curl(self, *args, timeout: float = 20.0) -> subprocess.CompletedProcess:
        """curl inside the namespace (-q: no ~/.curlrc; -sS)."""
        return self.run(["curl", "-q", "-sS", *args], timeout=timeout)

    def python(self, code: str, *args, extra_env: dict | None = None, timeout: float = 60.0,
               env: dict | None = None) -> subprocess.CompletedProcess:
        return self.run([sys.executable, "-c", code, *args], extra_env=extra_env, timeout=timeout,
                        env=env)


def _make_home(tmp_path: Path, name: str) -> Path:
    home = tmp_path / f"home-{name}"
    home.mkdir(parents=True, exist_ok=True)
    return home


@pytest.fixture
def netns_factory(tmp_path):
    """Factory: netns_factory() -> Netns, a fresh namespace with only `lo` up (our own ip netns add)."""
    made = []

    def make() -> Netns:
        name = ns_unique_name()
        made.append(name)
        _ip("netns", "add", name, check=True)
        _ip("-n", name, "link", "set", "lo", "up", check=True)
        return Netns(name, _make_home(tmp_path, name))

    try:
        yield make
    finally:
        for name in reversed(made):
            ns_destroy(name)


def _run_script(script: Path, *args, timeout: float = 30.0) -> subprocess.CompletedProcess:
    env = clean_env(Path("/nonexistent-home"))
    return run_proc([str(script), *args], env, timeout=timeout, cwd=str(REPO))


def link_local_by_hand(name: str) -> None:
    _ip("netns", "add", name, check=True)
    _ip("-n", name, "link", "set", "lo", "up", check=True)
    _ip("-n", name, "addr", "add", f"{IMDS_V4}/32", "dev", "lo", check=True)
    _ip("-n", name, "addr", "add", f"{IMDS_V6}/128", "dev", "lo", "nodad", check=True)


@pytest.fixture
def link_local_ns(tmp_path):
    """Factory: link_local_ns() -> Netns with lo up and 169.254.169.254, fd00:ec2::254 on lo.

    Made by `scripts/netns-link-local up NAME` when the script exists, by hand otherwise."""
    made = []

    def make() -> Netns:
        name = ns_unique_name()
        made.append(name)
        if LINK_LOCAL_SCRIPT.exists():
            r = _run_script(LINK_LOCAL_SCRIPT, "up", name)
            assert r.returncode == 0, f"netns-link-local up {name}: {r.returncode}\n{r.stdout}{r.stderr}"
        else:
            link_local_by_hand(name)
        return Netns(name, _make_home(tmp_path, name))

    try:
        yield make
    finally:
        for name in reversed(made):
            if LINK_LOCAL_SCRIPT.exists() and ns_exists(name):
                for pid in ns_pids(name):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                try:
                    _run_script(LINK_LOCAL_SCRIPT, "down", name)
                except BaseException:
                    pass
            ns_destroy(name)


# --------------------------------------------------------------------------- hops topology

HOPS_V4 = {"client": "198.18.1.2", "router_a": "198.18.1.1", "router_b": "198.18.2.1",
           "imds": "198.18.2.2"}
HOPS_V6 = {"client": "fd00:198:1::2", "router_a": "fd00:198:1::1", "router_b": "fd00:198:2::1",
           "imds": "fd00:198:2::2"}


class Hops:
    """client -- router -- imds; the client reaches 169.254.169.254 one router away."""

    def __init__(self, prefix: str, tmp_path: Path):
        self.prefix = prefix
        self.client = Netns(f"{prefix}-client", _make_home(tmp_path, f"{prefix}-client"))
        self.router = Netns(f"{prefix}-router", _make_home(tmp_path, f"{prefix}-router"))
        self.imds = Netns(f"{prefix}-imds", _make_home(tmp_path, f"{prefix}-imds"))
        self.names = [self.client.name, self.router.name, self.imds.name]


def hops_by_hand(p: str) -> None:
    """The topology the contract gives scripts/netns-hops (used while the script is missing)."""
    c, r, i = f"{p}-client", f"{p}-router", f"{p}-imds"
    for n in (c, r, i):
        _ip("netns", "add", n, check=True)
        _ip("-n", n, "link", "set", "lo", "up", check=True)
    _ip("-n", c, "link", "add", "eth0", "type", "veth", "peer", "name", "r-client", "netns", r,
        check=True)
    _ip("-n", i, "link", "add", "eth0", "type", "veth", "peer", "name", "r-imds", "netns", r,
        check=True)
    steps = [
        (c, "addr add 198.18.1.2/24 dev eth0"), (c, "addr add fd00:198:1::2/64 dev eth0 nodad"),
        (c, "link set eth0 up"),
        (r, "addr add 198.18.1.1/24 dev r-client"), (r, "addr add fd00:198:1::1/64 dev r-client nodad"),
        (r, "addr add 198.18.2.1/24 dev r-imds"), (r, "addr add fd00:198:2::1/64 dev r-imds nodad"),
        (r, "link set r-client up"), (r, "link set r-imds up"),
        (i, "addr add 198.18.2.2/24 dev eth0"), (i, "addr add fd00:198:2::2/64 dev eth0 nodad"),
        (i, "link set eth0 up"),
        (i, f"addr add {IMDS_V4}/32 dev lo"), (i, f"addr add {IMDS_V6}/128 dev lo nodad"),
        (c, "route add default via 198.18.1.1"), (c, "-6 route add default via fd00:198:1::1"),
        (i, "route add default via 198.18.2.1"), (i, "-6 route add default via fd00:198:2::1"),
        (r, f"route add {IMDS_V4}/32 via 198.18.2.2"), (r, f"-6 route add {IMDS_V6}/128 via fd00:198:2::2"),
    ]
    for ns, s in steps:
        _ip("-n", ns, *s.split(), check=True)
    for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
        subprocess.run(["ip", "netns", "exec", r, "sysctl", "-qw", key], check=True, timeout=10)


@pytest.fixture
def hops(tmp_path):
    """Factory: hops() -> Hops, made by `scripts/netns-hops up P` (or by hand without the script)."""
    made = []

    def make() -> Hops:
        p = ns_unique_name()
        made.append(p)
        if HOPS_SCRIPT.exists():
            r = _run_script(HOPS_SCRIPT, "up", p)
            assert r.returncode == 0, f"netns-hops up {p}: {r.returncode}\n{r.stdout}{r.stderr}"
        else:
            hops_by_hand(p)
        return Hops(p, tmp_path)

    try:
        yield make
    finally:
        for p in reversed(made):
            names = [f"{p}-client", f"{p}-router", f"{p}-imds"]
            if HOPS_SCRIPT.exists() and any(ns_exists(n) for n in names):
                for n in names:
                    for pid in ns_pids(n):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                try:
                    _run_script(HOPS_SCRIPT, "down", p)
                except BaseException:
                    pass
            for n in names:
                ns_destroy(n)


# --------------------------------------------------------------------------- emulator


class FeatureEmulator(Emulator):
    """conftest.Emulator, optionally inside a namespace."""

    def __init__(self, args, workdir: Path, name: str, env: dict, netns: Netns | None = None,
                 container_port: int | None = None, command: list | None = None,
                 expected: int | None = None, auto_listen: bool = True, cwd=None):
        """`command` replaces `imds-emulator serve ARGS` (e.g. docker/entrypoint ARGS); `expected`
        is the number of IMDS `listening on` lines to wait for (default: one per --listen)."""
        from conftest import _flag_values
        from urllib.parse import urlsplit

        self.args = list(args)
        self.name = name
        self.netns = netns
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        listens = _flag_values(self.args, "--listen")
        if not listens and netns is None and auto_listen and command is None:
            self.args = ["--listen", "127.0.0.1:0"] + self.args
            listens = ["127.0.0.1:0"]
        if expected is None:
            expected = max(1, len(listens))
        logs = _flag_values(self.args, "--access-log")
        self.access_log_path = Path(logs[-1]) if logs and logs[-1] not in ("-", "off") else None
        self.access_log_off = bool(logs) and logs[-1] == "off"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        cmd = list(command) if command is not None else [str(binary()), "serve", *self.args]
        self.cmd = netns.cmd(cmd) if netns is not None else cmd
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=env, cwd=str(cwd or workdir))
        self.urls = self._wait_listening(expected)
        self.url = self.urls[0]
        parts = urlsplit(self.url)
        if netns is None:
            self.host, self.port = parts.hostname, parts.port
        else:
            # Reachable only from inside the namespace: keep the root-namespace helpers away.
            self.host, self.port = None, None
        self.ns_host, self.ns_port = parts.hostname, parts.port
        self.container_port = container_port
        if container_port is not None:
            if netns is None:
                self.wait_container_port()
            else:
                self.wait_container_port_in_ns()

    def wait_container_port_in_ns(self, host: str = "127.0.0.1", timeout: float = START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            r = self.netns.curl("-g", "-o", "/dev/null", "--max-time", "1",
                                f"http://{host}:{self.container_port}/", timeout=10)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"emulator exited with {self.proc.returncode}\n"
                                     f"stderr: {self.stderr_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"container endpoint {host}:{self.container_port} in "
                                     f"{self.netns.name} not answering within {timeout}s\n"
                                     f"stderr: {self.stderr_text()}")
            time.sleep(0.1)

    def wait_container_port(self, host: str = "127.0.0.1", timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((host, self.container_port), timeout=1):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"emulator exited with {self.proc.returncode}\n"
                                     f"stderr: {self.stderr_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"container endpoint {host}:{self.container_port} not "
                                     f"accepting within {timeout}s\nstderr: {self.stderr_text()}")
            time.sleep(0.05)


@pytest.fixture
def feature_emulator(tmp_path, emulator_env):
    """Factory: feature_emulator(*args, netns=None, container_port=None, env=None, command=None,
    expected=None, auto_listen=True, cwd=None) -> FeatureEmulator."""
    def make(n, *args, netns: Netns | None = None, container_port: int | None = None,
             env: dict | None = None, **kw) -> FeatureEmulator:
        return FeatureEmulator(args, tmp_path, f"femu{n}", env or emulator_env, netns, container_port, **kw)

    with started_emulators(make) as start:
        yield start


# --------------------------------------------------------------------------- clients in a namespace

# One-shot HTTP client run inside a namespace: argv[1] is a JSON list of requests
# {"method", "url", "headers"}; prints a JSON list of {"status", "headers", "body"} or {"error"}.
NS_HTTP = r'''
import http.client, json, sys
from urllib.parse import urlsplit
out = []
for req in json.loads(sys.argv[1]):
    u = urlsplit(req["url"])
    try:
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=req.get("timeout", 5))
        c.request(req["method"], u.path or "/", headers=req.get("headers", {}))
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        out.append({"status": r.status, "headers": {k.lower(): v for k, v in r.getheaders()},
                    "body": body})
        c.close()
    except Exception as e:
        out.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
'''


def ns_http(ns: Netns, requests: list, timeout: float = 30.0) -> list:
    r = ns.python(NS_HTTP, json.dumps(requests), timeout=timeout)
    assert r.returncode == 0, f"ns http client failed: {r.stderr}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def ns_imds_credentials(ns: Netns, base: str, role: str | None = None) -> dict:
    """Token PUT, role listing, credential document, all from inside `ns` against `base`."""
    tok = ns_http(ns, [{"method": "PUT", "url": base + "latest/api/token",
                        "headers": {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}}])[0]
    assert tok.get("status") == 200, tok
    h = {"X-aws-ec2-metadata-token": tok["body"]}
    if role is None:
        lst = ns_http(ns, [{"method": "GET", "url": base + "latest/meta-data/iam/security-credentials/",
                            "headers": h}])[0]
        assert lst.get("status") == 200, lst
        role = lst["body"]
    doc = ns_http(ns, [{"method": "GET",
                        "url": base + "latest/meta-data/iam/security-credentials/" + role,
                        "headers": h}])[0]
    assert doc.get("status") == 200, doc
    return json.loads(doc["body"])


# boto3's default chain; prints [method, access_key, secret_key, token] or {"error": ...}.
BOTO_DEFAULT_CHAIN = r'''
import json
try:
    import boto3
    c = boto3.Session().get_credentials()
    if c is None:
        print(json.dumps({"error": "no credentials"}))
    else:
        f = c.get_frozen_credentials()
        print(json.dumps({"method": c.method, "access_key": f.access_key, "secret_key": f.secret_key,
                          "token": f.token, "account_id": getattr(f, "account_id", None)}))
except Exception as e:
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
'''


def last_json_line(text: str):
    lines = [x for x in text.strip().splitlines() if x.strip()]
    assert lines, "no output"
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- TTL sniffer

# Runs inside a namespace: records the IP TTL / IPv6 hop limit of every TCP segment from port 80
# of argv[1] (an address) until the file argv[2] exists (or 20 s pass). Prints "ready", then
# one JSON line per segment {"ttl", "len", "flags"}.
SNIFFER = r'''
import ipaddress, json, os, socket, sys, time
src = ipaddress.ip_address(sys.argv[1]).packed
stop = sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.settimeout(0.1)
print("ready", flush=True)
end = time.monotonic() + 20
while time.monotonic() < end and not os.path.exists(stop):
    try:
        frame, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    etype = int.from_bytes(frame[12:14], "big")
    p = frame[14:]
    if etype == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if p[9] != 6 or p[12:16] != src:
            continue
        ttl, total, tcp = p[8], int.from_bytes(p[2:4], "big"), p[ihl:]
        plen = total - ihl
    elif etype == 0x86DD and len(p) >= 40:
        if p[6] != 6 or p[8:24] != src:
            continue
        ttl, plen, tcp = p[7], int.from_bytes(p[4:6], "big"), p[40:]
    else:
        continue
    if int.from_bytes(tcp[0:2], "big") != 80:
        continue
    doff = (tcp[12] >> 4) * 4
    print(json.dumps({"ttl": ttl, "len": plen - doff, "flags": tcp[13]}), flush=True)
'''


class Sniffer:
    """TTLs of the TCP segments from `src`:80 seen inside `ns` while the sniffer runs."""

    def __init__(self, ns: Netns, src: str, workdir: Path):
        self.stop_file = workdir / f"sniff-stop-{next(_ns_counter)}"
        self.proc = subprocess.Popen(ns.cmd([sys.executable, "-c", SNIFFER, src, str(self.stop_file)]),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=ns.env(), stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()  # bounded: the sniffer ends by itself within 20 s
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError(f"sniffer did not start: {line!r} {self.proc.stderr.read()}")

    def finish(self) -> list:
        """Stop; return [{"ttl", "len", "flags"}] of the segments seen."""
        time.sleep(0.2)  # let the last segments arrive
        self.stop_file.touch()
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=5)
        return [json.loads(x) for x in out.splitlines() if x.strip()]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


# --------------------------------------------------------------------------- misc


def http_loopback(host: str, port: int, method: str, path: str, headers: dict | None = None,
                  body: bytes | None = None, timeout: float = 5.0):
    """(status, lower-case headers, body bytes) from a loopback server (root namespace)."""
    assert host.startswith("127.") or host in ("::1", "localhost"), host
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def admin_rotate(admin_port: int, token_file: Path, role: str = "imds-emulator") -> dict:
    """POST /v1/roles/ROLE/rotate on the control API (loopback)."""
    status, _, body = http_loopback(
        "127.0.0.1", admin_port, "POST", f"/v1/roles/{role}/rotate",
        {"Authorization": f"Bearer {token_file.read_text().strip()}"})
    assert status == 200, (status, body)
    return json.loads(body)
