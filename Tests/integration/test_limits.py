"""The configurable limits against abusive clients (issue 6, point 3), one test per limit.

Each starts the real binary with the limit set low, crosses it with a raw socket, and checks
the answer, that clients within the limit are unaffected, and that the server keeps serving.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import imds_helpers

from conftest_control import control_env, control_emulator  # noqa: F401 (fixtures)
from test_robustness import credentials, exchange, read_all, status_of, token

GET_LISTING = b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def test_connections_past_the_limit_are_refused_fast_and_open_ones_keep_working(control_emulator):
    # All from 127.0.0.1, which by default may hold only three quarters of the slots.
    emu = control_emulator("--max-connections", "20", "--max-connections-per-client", "20")
    port = emu.port
    tok = token(port)
    held = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(20)]
    try:
        time.sleep(0.2)  # let the loop see all twenty
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=3) as extra:
            extra.sendall(GET_LISTING + b"\r\n")
            answer = read_all(extra)
        elapsed = time.monotonic() - t0
        assert status_of(answer) == 503, answer[:200]
        assert b"Connection: close" in answer and b"503 - Service Unavailable" in answer
        assert elapsed < 1.0, f"the refusal took {elapsed:.3f} s"

        # The twenty established connections are served as usual.
        for s in held:
            s.sendall(f"GET /latest/meta-data/iam/security-credentials/imds-emulator HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nX-aws-ec2-metadata-token: {tok}\r\nConnection: close\r\n\r\n".encode())
        for s in held:
            answer = read_all(s)
            assert status_of(answer) == 200 and b'"Code" : "Success"' in answer
    finally:
        for s in held:
            s.close()

    # Their slots are free again once they close.
    deadline = time.monotonic() + 5
    while True:
        status, body = credentials(port, tok)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200 and body.startswith(b"{")

    refusals = [r for r in emu.access_records() if r["status"] == 503]
    assert len(refusals) == 1 and "max-connections (20)" in refusals[0]["error"]
    assert "imds_connections_refused_total 1" in wait_for_no_open_connections(emu)


def wait_for_no_open_connections(emu) -> str:
    """The metrics text once every IMDS connection is gone (the scrape's own is the admin's)."""
    deadline = time.monotonic() + 5
    while "imds_connections_open 0" not in (text := emu.api("GET", "/metrics").text):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
    return text


def test_a_flood_of_connections_never_exceeds_the_limit(control_emulator):
    """Open and drop 300 connections against a limit of 50, many at once: the count never
    drifts (a leaked slot would end as refusals for everyone)."""
    emu = control_emulator("--max-connections", "50", "--access-log", "off")
    port = emu.port
    for _ in range(3):
        batch = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(100)]
        for i, s in enumerate(batch):
            if i % 3 == 0:
                s.sendall(GET_LISTING + b"\r\n")
            elif i % 3 == 1:
                s.sendall(b"GET /lat")  # half a request line
        for s in batch:
            s.close()
    text = wait_for_no_open_connections(emu)
    refused = int(re.search(r"^imds_connections_refused_total (\d+)$", text, re.M).group(1))
    assert 0 < refused <= 250
    tok = token(port)
    assert all(credentials(port, tok)[0] == 200 for _ in range(60))


def test_header_count_request_line_header_size_and_body_limits(control_emulator):
    emu = control_emulator("--max-headers", "8", "--max-request-line", "200", "--max-header-bytes", "1024",
                           "--max-body-bytes", "16", admin=None)
    port = emu.port
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(7))  # with Host: eight
    assert status_of(exchange(port, GET_LISTING + headers + b"\r\n")) == 401  # tokens required: a real answer
    assert status_of(exchange(port, GET_LISTING + headers + b"X-7: v\r\n\r\n")) == 431
    path = b"/latest/meta-data/" + b"a" * 150
    assert status_of(exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) == 401
    assert status_of(exchange(port, b"GET " + path + b"b" * 40 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) == 414
    assert status_of(exchange(port, GET_LISTING + b"X-Big: " + b"a" * 1100 + b"\r\n\r\n")) == 400
    put = b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n"
    assert status_of(exchange(port, put + b"Content-Length: 16\r\n\r\n" + b"x" * 16)) == 200
    assert status_of(exchange(port, put + b"Content-Length: 17\r\n\r\n" + b"x" * 17)) == 413
    assert credentials(port, token(port))[0] == 200


def test_read_timeout_closes_a_silent_client(control_emulator):
    emu = control_emulator("--read-timeout", "300ms", admin=None)
    port = emu.port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(GET_LISTING)  # headers never finished
        t0 = time.monotonic()
        assert read_all(s) == b""  # closed without an answer
        elapsed = time.monotonic() - t0
    assert 0.2 < elapsed < 2.0, elapsed
    # A client that sends its request at once is not affected.
    assert credentials(port, token(port))[0] == 200


def test_write_timeout_drops_a_client_that_stops_reading(control_emulator, tmp_path):
    """A client that asks for more than the socket buffers hold and never reads is cut off
    after the write timeout instead of holding the connection. 12 MiB of user data is more
    than loopback's buffers take (4 MiB of send buffer at most here)."""
    size = 12 * 1024 * 1024
    config = tmp_path / "big-user-data.yaml"
    config.write_text("instance:\n  user-data: " + "a" * size + "\n")
    emu = control_emulator("--config", str(config), "--write-timeout", "300ms", admin=None)
    port = emu.port
    ask = (f"GET /latest/user-data HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"X-aws-ec2-metadata-token: {token(port)}\r\n\r\n").encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(ask)
    time.sleep(2.0)  # read nothing while the write timeout runs out
    answer = read_all(s)  # what was buffered, then the end of the connection
    s.close()
    assert answer.startswith(b"HTTP/1.1 200 OK") and f"Content-Length: {size}".encode() in answer
    assert len(answer) < size, "the whole answer arrived: the server never gave up on the client"
    # A client that reads gets all of it.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(ask)
        assert len(read_all(s).partition(b"\r\n\r\n")[2]) == size


def test_max_connections_is_cut_to_the_open_file_limit(control_emulator, tmp_path, monkeypatch):
    """With only 256 descriptors the default limit (4096) would end in accept() failing with
    EMFILE on every loop pass; the emulator lowers it, says so, and refuses with 503 instead."""
    wrapper = tmp_path / "imds-emulator-256-files"
    wrapper.write_text(f"#!/bin/sh\nexec prlimit --nofile=256:256 {imds_helpers.binary()} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setattr(imds_helpers, "BIN", wrapper)
    emu = control_emulator(admin=None)
    assert "max-connections 4096 is more than the open-file limit allows for 1 listener(s); using 192" in emu.stderr_text()
    port = emu.port
    held = []
    try:
        for _ in range(192):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=3))
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as extra:
            extra.sendall(GET_LISTING + b"\r\n")
            assert status_of(read_all(extra)) == 503
    finally:
        for s in held:
            s.close()
    # Once the server has seen the closes, the slots are free again.
    put = b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n"
    deadline = time.monotonic() + 5
    while status_of(exchange(port, put)) != 200:
        assert time.monotonic() < deadline, "no slot came free"
        time.sleep(0.05)
    assert credentials(port, token(port))[0] == 200 and emu.running


def test_read_timeout_bounds_the_whole_request_not_just_silences(control_emulator):
    """A client that sends one more byte every 200 ms never lets the idle timeout run out;
    it is still closed once the whole request has taken longer than --read-timeout."""
    emu = control_emulator("--read-timeout", "1s", admin=None)
    port = emu.port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(GET_LISTING + b"X-Slow: ")
        t0 = time.monotonic()
        closed_after = None
        s.settimeout(0.2)
        while time.monotonic() - t0 < 4:
            try:
                s.sendall(b"a")
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - t0
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - t0
                break
    assert closed_after is not None, "the trickling client was never closed"
    assert 0.8 < closed_after < 2.5, closed_after
    assert credentials(port, token(port))[0] == 200


def open_connections(emu) -> int:
    return int(float(re.search(r"^imds_connections_open (\S+)$", emu.api("GET", "/metrics").text, re.M).group(1)))


def test_under_load_a_silent_connection_is_the_kernels_until_it_speaks_or_a_second_passes(control_emulator):
    """While connections arrive faster than any SDK makes them (1000 a second), the listener
    has the kernel hold each new one until its request arrives (TCP_DEFER_ACCEPT,
    DeferAcceptPolicy): a connection with a request is answered at once, a silent one is
    handed over about a second later. A couple of seconds after the load stops, a silent
    connection counts at once again, which the connection-limit tests above rely on."""
    emu = control_emulator("--access-log", "off")
    port = emu.port
    tok = token(port)
    put = b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n"
    seconds = 2.0
    until = time.monotonic() + seconds
    made, failed = [], []

    def load():
        n = 0
        while time.monotonic() < until:
            if status_of(exchange(port, put)) != 200:
                failed.append(n)
            n += 1
        made.append(n)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = sum(made) / seconds
    assert not failed
    assert rate > 1300, f"the test made only {rate:.0f} connections a second, too few to turn deferral on"

    with socket.create_connection(("127.0.0.1", port), timeout=5):
        t0 = time.monotonic()
        time.sleep(0.3)
        assert open_connections(emu) == 0, "a silent connection was accepted at once under load"
        # Meanwhile a client with a request is served as usual.
        assert credentials(port, tok)[0] == 200
        while open_connections(emu) == 0:
            assert time.monotonic() - t0 < 4, "the kernel never handed the silent connection over"
            time.sleep(0.05)
        held_back = time.monotonic() - t0
    assert 0.5 < held_back < 4, held_back

    wait_for_no_open_connections(emu)
    time.sleep(2.5)  # the load is long gone: deferral is off again
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        deadline = time.monotonic() + 1
        while open_connections(emu) == 0:
            assert time.monotonic() < deadline, "a silent connection was still held back after the load"
            time.sleep(0.05)
