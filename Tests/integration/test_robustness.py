"""Abusive clients and rotation under load (issue 6, points 3-5, at a size that fits CI).

Timing goals are measured by scripts/bench, not here; these tests assert behaviour: clear
statuses for bad input, a server that keeps answering correctly, memory that does not grow,
and no failed or mixed credential document across rotations.
"""

from __future__ import annotations

import random
import socket
import threading
import time

from conftest_control import control_env, control_emulator  # noqa: F401 (fixtures)
from imds_helpers import CREDS_PATH

ROLE = "imds-emulator"


def read_all(s: socket.socket) -> bytes:
    """Everything until the server closes (or resets) the connection or the timeout runs out."""
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def exchange(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return read_all(s)


def status_of(answer: bytes) -> int:
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else 0


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A resident-memory line of /proc/PID/status: all of it (VmRSS) or one part (RssFile)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def token(port: int) -> str:
    answer = exchange(port, b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            b"X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\n")
    assert status_of(answer) == 200
    return answer.split(b"\r\n\r\n", 1)[1].decode()


def credentials(port: int, tok: str) -> tuple[int, bytes]:
    answer = exchange(port, f"GET {CREDS_PATH}{ROLE} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            f"X-aws-ec2-metadata-token: {tok}\r\n\r\n".encode())
    return status_of(answer), answer.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in answer else b""


def test_bad_requests_get_clear_statuses(control_emulator):
    """Oversized headers, an unknown method, NUL bytes, a body on the token PUT, garbage:
    each gets a 4xx/5xx status line, never a hang or a crash."""
    emu = control_emulator(admin=None)
    port = emu.port
    cases = {
        b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n": 400,
        b"FOO / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": 501,
        b"\x00\x01garbage\r\n\r\n": 400,
        b"GET /latest/\x00meta-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": 400,
        b"GET " + b"/a" * 10000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n": 400,
        b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n"
        b"Content-Length: 5000\r\n\r\n" + b"x" * 5000: 413,
    }
    for request, expected in cases.items():
        assert status_of(exchange(port, request)) == expected, request[:40]
    assert emu.running
    assert credentials(port, token(port))[0] == 200


def test_ten_thousand_malformed_requests_leave_it_answering_without_growing(control_emulator):
    """10,000 random malformed or truncated requests: afterwards the server still answers
    correctly and its resident memory has not grown by more than 2 MiB."""
    emu = control_emulator("--access-log", "off", admin=None)
    port = emu.port
    rng = random.Random(6)
    tok = token(port)
    for _ in range(200):  # warm-up: first allocations, lazy pages
        credentials(port, tok)
    before = rss_kib(emu.proc.pid)
    pieces = [b"GET ", b"PUT ", b"/latest/api/token", b"/latest/meta-data/", b" HTTP/1.1", b"\r\n", b"Host: x",
              b"X-aws-ec2-metadata-token: ", b"\x00", b"\xff\xfe", b":", b"%00", b"//..//", b"\t"]
    deadline = time.monotonic() + 120
    for i in range(10_000):
        assert time.monotonic() < deadline, "the abuse loop is too slow"
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.3:
            data += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(data)
            if i % 2:  # half end their request properly and read the answer, half just go
                s.sendall(b"\r\n\r\n")
                try:
                    s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    pass
    assert emu.running
    status, body = credentials(port, tok)
    assert status == 200 and b'"Code" : "Success"' in body
    time.sleep(0.5)
    assert rss_kib(emu.proc.pid) - before < 2048


def test_half_open_connections_do_not_block_honest_clients(control_emulator):
    """A slowloris client holding 1,000 half-sent requests open: honest requests still get
    complete, correct answers meanwhile (their latency is measured by scripts/bench)."""
    emu = control_emulator(admin=None)
    port = emu.port
    held = []
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(s)
        tok = token(port)
        for _ in range(50):
            status, body = credentials(port, tok)
            assert status == 200 and body.startswith(b"{")
    finally:
        for s in held:
            s.close()


def test_no_failed_or_mixed_document_across_100_rotations(control_emulator):
    """Four clients fetch credentials without pause while the control API forces 100
    rotations: every answer is a 200 with a complete document, and all documents carrying the
    same AccessKeyId are byte-identical (old or new set, never a mix)."""
    emu = control_emulator()
    port = emu.port
    tok = token(port)
    first = emu.state()["roles"][0]["access_key_id"]
    stop = threading.Event()
    seen: dict[str, set] = {}
    failures = []
    lock = threading.Lock()

    def client():
        while not stop.is_set():
            status, body = credentials(port, tok)
            if status != 200 or not body.rstrip().endswith(b"}"):
                with lock:
                    failures.append((status, body[:80]))
                continue
            key = body.split(b'"AccessKeyId" : "', 1)[1].split(b'"', 1)[0].decode()
            with lock:
                seen.setdefault(key, set()).add(body)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    published = set()
    try:
        for _ in range(100):
            published.add(emu.rotate()["access_key_id"])
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not failures, failures[:5]
    assert len(published) == 100
    assert sum(len(v) for v in seen.values()) == len(seen), "a key id came with two different documents"
    assert set(seen) <= published | {first}, "a key id that was never published"
    assert len(set(seen) & published) >= 50, "clients saw too few of the rotations"


def releases(emu) -> int:
    return emu.stderr_text().count("released the start-up pages")


def wait_releases(emu, count: int) -> None:
    deadline = time.monotonic() + 10
    while releases(emu) < count:
        assert time.monotonic() < deadline, emu.stderr_text()[-2000:]
        time.sleep(0.05)


def test_start_up_pages_are_handed_back_and_what_serving_needs_comes_back(control_emulator):
    """About a second after start, the pages of mapped files that only start-up touched are
    handed back to the kernel (StartupPages): the resident file pages fall by megabytes, and
    the server then answers exactly as before, faulting back in only what requests use. The
    first request after that does one-time work of its own; a second after it, the pages are
    handed back once more, and only then: an emulator nobody asks keeps still."""
    emu = control_emulator("--access-log", "off", "--log-level", "debug", admin=None)
    port = emu.port
    tok = token(port)
    status, first = credentials(port, tok)
    assert status == 200
    before = rss_kib(emu.proc.pid, "RssFile")
    assert releases(emu) == 0, "read too late: the release came first"
    wait_releases(emu, 1)
    released = rss_kib(emu.proc.pid, "RssFile")
    # About 2.8 MiB for the release build; more while libssl and libcrypto were loaded at start.
    assert before - released > 2048, (before, released)
    time.sleep(2.5)
    assert releases(emu) == 1, "handed back again with no request since"
    for _ in range(100):
        tok = token(port)
        status, body = credentials(port, tok)
        assert status == 200 and body == first
    wait_releases(emu, 2)
    for _ in range(100):
        tok = token(port)
        status, body = credentials(port, tok)
        assert status == 200 and body == first
    assert exchange(port, b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith(b"HTTP/1.1 401")
    time.sleep(2.5)
    assert releases(emu) == 2, "the pages are handed back twice at most"
    assert emu.running
    after = rss_kib(emu.proc.pid, "RssFile")
    assert after < before, (before, released, after)
