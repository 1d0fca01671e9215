"""The JSON access log (one line per request, its fields, destinations, SIGHUP reopen) and the
guarantee that no token, secret key or session token ever reaches stdout, stderr or the log."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
from datetime import datetime, timezone

from imds_helpers import (
    CREDS_PATH, TEST_UA, TOKEN_HEADER, TOKEN_PATH, TTL_HEADER, build_request, fetch_credentials, get,
    get_token, put_token, read_until_close, request, signing_key_id, tamper, wait_until,
)

ROLE = "imds-emulator"
MD = "/latest/meta-data/"
BASE_KEYS = {"time", "client", "port", "method", "path", "status", "bytes", "duration_us",
             "user_agent", "imds_version"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_record(rec: dict, resp, method: str, path: str, ua: str) -> None:
    """One access-log record describes exactly one response."""
    missing = BASE_KEYS - set(rec)
    assert not missing, f"record lacks {missing}: {rec}"
    assert TIME_RE.match(rec["time"]), rec
    t = datetime.strptime(rec["time"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs(t.timestamp() - time.time()) < 120, rec
    assert rec["client"] == "127.0.0.1", rec
    assert _is_int(rec["port"]) and rec["port"] == resp.client_port, (rec, resp.client_port)
    assert rec["method"] == method, rec
    assert rec["path"] == path, rec
    assert _is_int(rec["status"]) and rec["status"] == resp.status, (rec, resp)
    assert _is_int(rec["bytes"]) and rec["bytes"] == len(resp.body), (rec, len(resp.body))
    assert _is_int(rec["duration_us"]) and rec["duration_us"] >= 0, rec
    assert rec["user_agent"] == ua, rec
    assert rec["imds_version"] in ("v1", "v2", "none"), rec


def test_access_log_one_line_per_request(emulator):
    """Every request (success or error) yields exactly one well-formed JSON line on stdout."""
    emu = emulator("--imdsv1", "enabled")
    tok = get_token(emu)
    plan = [
        ("GET", MD + "instance-id", [(TOKEN_HEADER, tok)], TEST_UA),          # 200 v2
        ("GET", MD + "instance-id", [], TEST_UA),                              # 200 v1
        ("GET", MD + "instance-id", [], None),                                 # no User-Agent
        ("GET", MD + "nope", [(TOKEN_HEADER, tok)], TEST_UA),                  # 404
        ("GET", MD + "instance-id", [(TOKEN_HEADER, "abc")], TEST_UA),         # 401
        ("GET", TOKEN_PATH, [], TEST_UA),                                      # 405
        ("PUT", TOKEN_PATH, [(TTL_HEADER, "abc")], TEST_UA),                   # 400
        ("GET", MD + "placement", [(TOKEN_HEADER, tok)], TEST_UA),             # listing, no slash
        ("GET", CREDS_PATH + ROLE, [(TOKEN_HEADER, tok)], "curl/8.5.0"),       # credential doc
    ]
    resps = [request(emu, m, p, h, ua=ua) for m, p, h, ua in plan]
    assert [r.status for r in resps] == [200, 200, 200, 404, 401, 405, 400, 200, 200], resps
    emu.wait_records(len(plan) + 1)  # + the token PUT
    time.sleep(0.3)
    recs = emu.access_records()
    assert len(recs) == len(plan) + 1, f"expected {len(plan) + 1} records, got {len(recs)}: {recs}"
    assert recs[0]["method"] == "PUT" and recs[0]["path"] == TOKEN_PATH and recs[0]["status"] == 200
    assert recs[0]["bytes"] == 56, recs[0]
    for rec, resp, (m, p, _h, ua) in zip(recs[1:], resps, plan):
        check_record(rec, resp, m, p, ua or "")
    assert recs[1]["imds_version"] == "v2", recs[1]
    assert recs[2]["imds_version"] == "v1", recs[2]
    cred = recs[-1]
    served = json.loads(resps[-1].text)
    assert cred["role"] == ROLE and cred["access_key_id"] == served["AccessKeyId"], cred
    assert cred["imds_version"] == "v2"
    for rec in recs[:-1]:
        assert "access_key_id" not in rec or rec["path"] == CREDS_PATH + ROLE, rec
    assert emu.stdout_text().endswith("\n")


def test_access_log_to_file(emulator, tmp_path):
    """--access-log PATH writes the JSON lines to PATH and nothing to stdout."""
    path = tmp_path / "access.log"
    emu = emulator("--access-log", str(path))
    tok = get_token(emu)
    r = get(emu, MD + "instance-id", tok)
    recs = emu.wait_records(2)
    assert [x["method"] for x in recs] == ["PUT", "GET"], recs
    check_record(recs[1], r, "GET", MD + "instance-id", TEST_UA)
    time.sleep(0.2)
    assert emu.stdout_text() == "", "access lines also went to stdout"


def test_access_log_dash_is_stdout(emulator):
    """--access-log - is stdout, like the default."""
    emu = emulator("--access-log", "-")
    get_token(emu)
    recs = emu.wait_records(1)
    assert recs[0]["path"] == TOKEN_PATH


def test_access_log_off(emulator, tmp_path):
    """--access-log off writes no access lines anywhere."""
    emu = emulator("--access-log", "off")
    tok = get_token(emu)
    assert get(emu, MD + "instance-id", tok).status == 200
    assert get(emu, MD + "nope", tok).status == 404
    time.sleep(0.5)
    assert emu.stdout_text() == ""
    assert '"path"' not in emu.stderr_text()
    assert not (tmp_path / "off").exists(), "'off' was taken as a file name"


def test_sighup_reopens_access_log(emulator, tmp_path):
    """logrotate style: rename the file, SIGHUP, the next lines go to a new file; none lost."""
    path = tmp_path / "access.log"
    rotated = tmp_path / "access.log.1"
    emu = emulator("--access-log", str(path))
    tok = get_token(emu)
    for _ in range(3):
        assert get(emu, MD + "instance-id", tok).status == 200
    emu.wait_records(4)
    os.rename(path, rotated)
    # A line written after the rename but before SIGHUP lands in the renamed file.
    assert get(emu, MD + "ami-id", tok).status == 200
    wait_until(lambda: rotated.read_text().count("\n") == 5, what="5th line in the renamed file")
    emu.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert emu.running, "SIGHUP killed the emulator"
    assert get(emu, MD + "instance-type", tok).status == 200
    assert get(emu, MD + "hostname", tok).status == 200
    wait_until(lambda: path.exists() and path.read_text().count("\n") == 2, timeout=5,
               what="two lines in the reopened access log")
    time.sleep(0.2)
    old = [json.loads(x) for x in rotated.read_text().splitlines()]
    new = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(old) == 5 and len(new) == 2, (old, new)
    assert [r["path"] for r in old] == [TOKEN_PATH] + [MD + "instance-id"] * 3 + [MD + "ami-id"]
    assert [r["path"] for r in new] == [MD + "instance-type", MD + "hostname"]
    assert emu.stop() == 0


# =========================================================================== secrets


def _fragments(secret: str) -> list:
    """The secret itself plus a distinctive middle slice (catches truncated logging)."""
    out = [secret]
    if len(secret) >= 40:
        mid = len(secret) // 2
        out.append(secret[mid - 10: mid + 10])
    return out


def test_secrets_never_logged(emulator, tmp_path, aws_env, run_client, aws_cli, capture_sts):
    """No IMDS token, secret key or session token appears in stdout, stderr or the access log."""
    import boto3

    log = tmp_path / "access.log"
    emu = emulator("--credential-lifetime", "6h", "--rotate-every", "1s", "--access-log", str(log),
                   "--imdsv1", "enabled")
    secrets = set()

    def collect(doc):
        secrets.add(doc["SecretAccessKey"])
        secrets.add(doc["Token"])

    # raw requests with valid, short-lived, tampered and malformed tokens, over several rotations
    for ttl in (21600, 300, 1):
        r = put_token(emu, ttl)
        assert r.status == 200
        secrets.add(r.text)
    for _ in range(4):
        tok = get_token(emu)
        secrets.add(tok)
        collect(fetch_credentials(emu, ROLE, tok))
        bad = tamper(tok)
        secrets.add(bad)
        assert get(emu, CREDS_PATH + ROLE, bad).status == 401
        assert get(emu, CREDS_PATH + ROLE, "abc").status == 401
        v1 = get(emu, CREDS_PATH + ROLE)  # IMDSv1 fetch
        assert v1.status == 200
        collect(json.loads(v1.text))
        time.sleep(0.6)

    # boto3 in process
    aws_env(emu.url)
    frozen = boto3.Session().get_credentials().get_frozen_credentials()
    secrets.add(frozen.secret_key)
    secrets.add(frozen.token)

    # the AWS CLI as a subprocess
    r = run_client([*aws_cli, "sts", "get-caller-identity", "--endpoint-url", capture_sts.url,
                    "--region", "us-east-1"], endpoint=emu.url, timeout=90)
    assert r.returncode == 0, r.stderr
    cap = capture_sts.captured[-1]
    secrets.add(cap["security_token"])
    assert signing_key_id(cap["authorization"]).startswith("ASIA")

    assert emu.stop() == 0
    secrets.discard(None)
    assert len(secrets) >= 15, "collected too few secrets to make the check meaningful"
    outputs = {"stdout": emu.stdout_text(), "stderr": emu.stderr_text(), "access log": log.read_text()}
    assert outputs["access log"].count("\n") >= 20, "the access log is unexpectedly short"
    for where, text in outputs.items():
        for s in secrets:
            for frag in _fragments(s):
                assert frag not in text, f"a secret ({frag[:6]}…) appears in {where}"


def test_duration_counts_from_the_first_byte_of_the_request(emulator):
    """duration_us is the emulator's time, as nginx's $request_time: from the request's first
    byte to the answer. A client that connects and waits before sending does not add its
    pause; one that sends its request slowly does."""
    emu = emulator("--imdsv1", "enabled")
    data = build_request("GET", MD + "instance-id", emu.host, emu.port)
    with socket.create_connection((emu.host, emu.port), timeout=5) as s:
        time.sleep(0.6)
        s.sendall(data)
        assert read_until_close(s).status == 200
    with socket.create_connection((emu.host, emu.port), timeout=5) as s:
        s.sendall(data[:10])
        time.sleep(0.6)
        s.sendall(data[10:])
        assert read_until_close(s).status == 200
    paused, slow = emu.wait_records(2)[-2:]
    assert paused["status"] == 200 and slow["status"] == 200, (paused, slow)
    assert paused["duration_us"] < 300_000, f"the pause before the request was counted: {paused}"
    assert slow["duration_us"] >= 550_000, f"the slowly sent request was not counted whole: {slow}"
