"""Small, dependency-free helpers shared by the integration tests.

Everything here talks only to loopback addresses and every socket has a timeout.
"""

from __future__ import annotations

import calendar
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TOKEN_HEADER = "X-aws-ec2-metadata-token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_PATH = "/latest/api/token"
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"
TEST_UA = "imds-integration-tests/1.0"

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{54}==$")
ISO_Z_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ACCESS_KEY_RE = re.compile(r"^ASIA[A-Z2-7]{16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9+/]{40}$")

# A JSON string literal as it appears in raw text (escapes allowed).
_JSTR = r'"((?:[^"\\]|\\.)*)"'
CRED_DOC_RE = re.compile(
    r'\A\{\n'
    r'  "Code" : "Success",\n'
    r'  "LastUpdated" : ' + _JSTR + r',\n'
    r'  "Type" : "AWS-HMAC",\n'
    r'  "AccessKeyId" : ' + _JSTR + r',\n'
    r'  "SecretAccessKey" : ' + _JSTR + r',\n'
    r'  "Token" : ' + _JSTR + r',\n'
    r'  "Expiration" : ' + _JSTR + r'\n'
    r'\}\Z'
)
CRED_KEYS = ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]

STS_XML = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult>"
    "<Arn>arn:aws:sts::123456789012:assumed-role/imds-emulator/i-0123456789abcdef0</Arn>"
    "<UserId>AROAEXAMPLE:i-0123456789abcdef0</UserId>"
    "<Account>123456789012</Account>"
    "</GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)


# --------------------------------------------------------------------------- environment

PROXY_VARS = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY"}
NO_PROXY_VALUE = "127.0.0.1,::1,localhost"
PY_BIN_DIR = str(Path(sys.executable).parent)


def env_var_dropped(name: str) -> bool:
    up = name.upper()
    return up.startswith("AWS_") or up in PROXY_VARS or up == "BOTO_CONFIG"


def clean_env(home, endpoint: str | None = None, extra: dict | None = None) -> dict:
    """Environment for a client process: caller's env minus AWS_*/proxy vars, HOME=home."""
    env = {k: v for k, v in os.environ.items() if not env_var_dropped(k)}
    env["HOME"] = str(home)
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    env["NO_PROXY"] = env["no_proxy"] = NO_PROXY_VALUE
    env["PATH"] = PY_BIN_DIR + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.pop("PYTHONPATH", None)
    if endpoint is not None:
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint
    if extra:
        env.update(extra)
    return env


REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("IMDS_EMULATOR_BIN") or REPO / ".build" / "release" / "imds-emulator")


def binary() -> Path:
    if not (BIN.is_file() and os.access(BIN, os.X_OK)):
        pytest.fail(f"imds-emulator binary not found at {BIN}; build it (swift build -c release) "
                    f"or set IMDS_EMULATOR_BIN")
    return BIN


def aws_cli_command() -> list:
    """Command prefix running the pip AWS CLI v1 of this interpreter's venv.

    Fails (not skips) when `awscli` is missing, is a 2.x (Debian's CLI v2 is also a Python
    package named awscli), or lives outside this environment: a test of "CLI v1" must run v1.
    """
    spec = importlib.util.find_spec("awscli")
    if spec is None or spec.origin is None:
        pytest.fail("the AWS CLI v1 is not installed here: scripts/test installs "
                    "Tests/integration/requirements.lock into .build-venv")
    version = importlib.metadata.version("awscli")
    if int(version.split(".")[0]) >= 2:
        pytest.fail(f"awscli {version} at {spec.origin} is not the AWS CLI v1 the tests need")
    if not Path(spec.origin).resolve().is_relative_to(Path(sys.prefix).resolve()):
        pytest.fail(f"awscli comes from {spec.origin}, outside this environment ({sys.prefix})")
    return [sys.executable, "-m", "awscli"]


def run_proc(cmd, env: dict, timeout: float = 60.0, cwd=None, input: str | None = None):
    """Run a command, bounded in time; kill it (by PID) on timeout and fail."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.PIPE if input is not None
                            else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"{cmd!r} did not finish within {timeout}s\nstdout: {out}\nstderr: {err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class Response:
    """One HTTP response read from a socket until the server closed it."""

    version: str
    status: int
    reason: str
    headers: list  # [(name, value)] in wire order, original case
    body: bytes
    raw: bytes
    client_port: int = 0

    def header(self, name: str):
        """First value of header `name` (case-insensitive), or None."""
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None

    def header_values(self, name: str) -> list:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def __repr__(self) -> str:  # short, useful in assertion messages
        return f"<Response {self.status} {self.headers!r} body={self.body[:300]!r}>"


def parse_response(raw: bytes, client_port: int = 0) -> Response:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"response has no end of headers: {raw[:500]!r}"
    lines = head.decode("iso-8859-1").split("\r\n")
    m = re.match(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
    assert m, f"bad status line {lines[0]!r}"
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon, f"bad header line {line!r}"
        headers.append((name, value.strip()))
    resp = Response(m.group(1), int(m.group(2)), m.group(3) or "", headers, body, raw, client_port)
    te = resp.header("Transfer-Encoding")
    assert te is None, f"server used Transfer-Encoding {te!r} (IMDS never does)"
    cl = resp.header("Content-Length")
    assert cl is not None, f"response without Content-Length: {resp!r}"
    assert int(cl) == len(body), f"Content-Length {cl} but body has {len(body)} bytes: {resp!r}"
    return resp


def exchange(host: str, port: int, data: bytes, timeout: float = 5.0) -> Response:
    """Send `data` verbatim, read until the server closes the connection."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        client_port = s.getsockname()[1]
        s.sendall(data)
        return read_until_close(s, timeout, client_port)


def read_until_close(s: socket.socket, timeout: float = 5.0, client_port: int = 0) -> Response:
    chunks = []
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            raise AssertionError(
                f"server did not close the connection within {timeout}s; got so far: "
                f"{b''.join(chunks)[:500]!r}"
            ) from None
        if not b:
            break
        chunks.append(b)
        if time.monotonic() > deadline:
            raise AssertionError("response took too long")
    raw = b"".join(chunks)
    assert raw, "server closed the connection without answering"
    return parse_response(raw, client_port)


def host_header(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def build_request(method: str, path: str, host: str, port: int, headers=(), body: bytes = b"",
                  ua: str | None = TEST_UA) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header(host, port)}"]
    if ua is not None:
        lines.append(f"User-Agent: {ua}")
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def request(target, method: str, path: str, headers=(), body: bytes = b"", ua: str | None = TEST_UA,
            timeout: float = 5.0) -> Response:
    """Send one request to `target` (anything with .host and .port)."""
    headers = list(headers)
    if body and not any(k.lower() == "content-length" for k, _ in headers):
        headers.append(("Content-Length", str(len(body))))
    data = build_request(method, path, target.host, target.port, headers, body, ua)
    return exchange(target.host, target.port, data, timeout)


def put_token(target, ttl=21600, header_name: str = TTL_HEADER, extra=()) -> Response:
    headers = [] if ttl is None else [(header_name, str(ttl))]
    return request(target, "PUT", TOKEN_PATH, headers + list(extra))


def get_token(target, ttl=21600) -> str:
    r = put_token(target, ttl)
    assert r.status == 200, f"token PUT failed: {r!r}"
    return r.text


def get(target, path: str, token: str | None = None, headers=(), ua: str | None = TEST_UA) -> Response:
    h = list(headers)
    if token is not None:
        h.append((TOKEN_HEADER, token))
    return request(target, "GET", path, h, ua=ua)


def get_ok(target, path: str, token: str | None = None) -> str:
    r = get(target, path, token)
    assert r.status == 200, f"GET {path} -> {r!r}"
    return r.text


def fetch_credentials(target, role: str | None = None, token: str | None = None) -> dict:
    """Token + role discovery + credential document, validated; returns the parsed document."""
    if token is None:
        token = get_token(target)
    if role is None:
        role = get_ok(target, CREDS_PATH, token)
    r = get(target, CREDS_PATH + role, token)
    assert r.status == 200, f"credential GET -> {r!r}"
    return parse_credential_doc(r.text)


def parse_credential_doc(text: str) -> dict:
    """Check the IMDS pretty-printed layout and field formats; return the parsed JSON."""
    assert CRED_DOC_RE.match(text), f"credential document not in IMDS layout:\n{text!r}"
    doc = json.loads(text)
    assert list(doc) == CRED_KEYS, f"member order {list(doc)}"
    assert ACCESS_KEY_RE.match(doc["AccessKeyId"]), doc["AccessKeyId"]
    assert SECRET_RE.match(doc["SecretAccessKey"]), "SecretAccessKey is not 40 chars of [A-Za-z0-9+/]"
    assert isinstance(doc["Token"], str) and len(doc["Token"]) >= 300, "session token too short"
    assert ISO_Z_RE.match(doc["LastUpdated"]), doc["LastUpdated"]
    assert ISO_Z_RE.match(doc["Expiration"]), doc["Expiration"]
    return doc


def iso_to_epoch(s: str) -> int:
    assert ISO_Z_RE.match(s), s
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def http_date_to_epoch(s: str) -> float:
    return parsedate_to_datetime(s).timestamp()


def tamper(token: str, index: int = 20) -> str:
    """The same token with one base64 character (not a padding one) changed."""
    c = token[index]
    repl = "B" if c == "A" else "A"
    return token[:index] + repl + token[index + 1:]


def assert_error_page(resp: Response, code: int, reason: str) -> None:
    """IMDS-style XHTML error page (behaviour spec §1.6) with text/html."""
    assert resp.status == code, resp
    assert resp.header("Content-Type") == "text/html", resp
    body = resp.text
    assert body.startswith("<?xml"), body
    assert "iso-8859-1" in body.splitlines()[0].lower(), body
    assert "<html" in body, body
    assert f"<title>{code} - {reason}</title>" in body, body
    assert f"<h1>{code} - {reason}</h1>" in body, body


def assert_imds_framing(resp: Response) -> None:
    """Rule 8.1: Connection: close, Server: EC2ws, a recent Date, Content-Length (parser checked it)."""
    assert resp.version == "HTTP/1.1", resp.version
    assert (resp.header("Connection") or "").lower() == "close", resp
    assert resp.header("Server") == "EC2ws", resp
    date = resp.header("Date")
    assert date, resp
    assert abs(http_date_to_epoch(date) - time.time()) < 120, f"Date header {date!r} is not now"
    assert len(resp.header_values("Content-Length")) == 1, resp


def free_port() -> int:
    """A loopback TCP port nobody listens on (bound then closed)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list:
    """`count` distinct free loopback ports: all are held bound at once, so two calls' worth
    of free_port() cannot hand out the same port twice."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- capture "STS"


class _CaptureHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.captured.append({
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "security_token": self.headers.get("X-Amz-Security-Token"),
            "body": body,
        })
        data = STS_XML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        self.end_headers()
        self.wfile.write(data)

    do_POST = _answer
    do_GET = _answer

    def log_message(self, *args):  # keep test output quiet
        pass


class CaptureServer:
    """A fake STS endpoint on 127.0.0.1 that records the signing headers it receives."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _CaptureHandler)
        self.httpd.timeout = 5
        self.httpd.captured = []
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    @property
    def captured(self) -> list:
        return self.httpd.captured

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def signing_key_id(authorization: str) -> str:
    m = re.search(r"Credential=([^/,\s]+)/", authorization or "")
    assert m, f"no Credential= in Authorization {authorization!r}"
    return m.group(1)


class NotFoundServer:
    """A loopback HTTP server that answers 404 to everything."""

    class _H(BaseHTTPRequestHandler):
        def _nf(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        do_GET = do_PUT = do_POST = _nf

        def log_message(self, *args):
            pass

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._H)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def debian_aws_v2_skip_reason() -> str | None:
    """Reason to skip, or None when /usr/bin/aws is CLI v2."""
    path = "/usr/bin/aws"
    if not os.path.exists(path):
        return "/usr/bin/aws (Debian's AWS CLI v2) is not installed"
    home = tempfile.mkdtemp(prefix="aws-v2-probe-")
    try:
        out = subprocess.run([path, "--version"], env=clean_env(home), capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"/usr/bin/aws --version failed: {e}"
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if "aws-cli/2" not in (out.stdout + out.stderr):
        return f"/usr/bin/aws is not CLI v2: {(out.stdout + out.stderr).strip()!r}"
    return None


def reader(emu, user_agent: str | None = None):
    """botocore's own IMDS client (token PUT, then GET with the token) reading any meta-data
    path: `reader(emu).read("spot/instance-action")` → (status, text)."""
    from botocore.utils import IMDSFetcher

    class PathReader(IMDSFetcher):
        def read(self, path: str):
            token = self._fetch_metadata_token()
            assert token, "botocore got no IMDSv2 token"
            r = self._get_request(url_path="latest/meta-data/" + path, retry_func=lambda _: False, token=token)
            return r.status_code, r.text

    return PathReader(timeout=2, num_attempts=1, base_url=emu.url, env={}, user_agent=user_agent)


def kill_until_gone(list_pids, rounds: int = 3, wait: float = 3.0) -> None:
    """SIGKILL every PID `list_pids()` names (processes a test started, found by its own
    marker or namespace), until none is left or `rounds` are spent."""
    import signal as _signal
    for _ in range(rounds):
        pids = list_pids()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, _signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + wait
        while list_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
