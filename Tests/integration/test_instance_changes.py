"""Instance facts changed while serving (README "Simulating an instance", docs/control-api.md):
`PATCH /v1/instance` and a configuration file reloaded on SIGHUP change what clients read,
with no connection dropped and no token lost; only a changed value's `Last-Modified` moves;
bad changes are refused whole with the key named. Also the instance's own identity
credentials, a second synthetic set on a schedule of its own."""

from __future__ import annotations

import json
import signal
import socket
import time

from conftest_control import control_emulator, control_env  # noqa: F401
from imds_helpers import TOKEN_HEADER, get, get_token, reader

MD = "/latest/meta-data/"
IDENTITY = MD + "identity-credentials/ec2/security-credentials/ec2-instance"

CONFIG = """\
instance:
  region: eu-west-1
  availability-zone: eu-west-1b
  tags: {Name: web-1}
  user-data: "#!/bin/sh\\necho one\\n"
"""


def started(control_emulator, tmp_path, text: str = CONFIG):
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(text)
    return control_emulator("--config", str(cfg)), cfg


def wait_for(predicate, what: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_patch_changes_facts_and_only_their_last_modified(control_emulator, tmp_path):
    emu, _ = started(control_emulator, tmp_path)
    token = get_token(emu)
    before = {p: get(emu, MD + p, token) for p in ("tags/instance/Name", "instance-id", "public-ipv4")}
    assert before["public-ipv4"].status == 404
    time.sleep(1.1)  # Last-Modified has whole seconds
    answer = emu.call("PATCH", "/v1/instance", {"tags": {"Name": "web-2", "team": "core"},
                                                "public-ipv4": "3.4.5.6", "user-data": "#!/bin/sh\necho two\n"})
    assert "meta-data/tags/instance/Name" in answer["changed"] and "user-data" in answer["changed"]
    assert "meta-data/instance-id" not in answer["changed"]
    assert answer["identity_document"]["region"] == "eu-west-1"

    # botocore's own IMDS client sees the new values; the token minted before still works.
    r = reader(emu)
    assert r.read("tags/instance/Name") == (200, "web-2") and r.read("tags/instance/team") == (200, "core")
    assert r.read("public-hostname") == (200, "ec2-3-4-5-6.eu-west-1.compute.amazonaws.com")
    tag = get(emu, MD + "tags/instance/Name", token)
    assert tag.status == 200 and tag.text == "web-2"
    assert tag.header("Last-Modified") != before["tags/instance/Name"].header("Last-Modified")
    assert get(emu, MD + "instance-id", token).header("Last-Modified") == before["instance-id"].header("Last-Modified")
    assert get(emu, "/latest/user-data", token).text == "#!/bin/sh\necho two\n"

    # null takes a fact back; the public address and every path derived from it go.
    emu.call("PATCH", "/v1/instance", {"public-ipv4": None, "metadata-tags": "disabled"})
    assert get(emu, MD + "public-hostname", token).status == 404
    assert get(emu, MD + "tags/instance/Name", token).status == 404
    changes = [e for e in emu.journal_all() if e.get("kind") == "instance"]
    assert [c["via"] for c in changes] == ["PATCH /v1/instance"] * 2
    assert "meta-data/public-ipv4" in changes[1]["changed"]

    # POST /v1/reset goes back to the file's facts.
    emu.call("POST", "/v1/reset")
    assert get(emu, MD + "tags/instance/Name", token).text == "web-1"


def test_bad_patches_are_refused_whole_naming_the_key(control_emulator, tmp_path):
    emu, _ = started(control_emulator, tmp_path)
    token = get_token(emu)
    for body, names, status in [
        ({"region": "us-east-1"}, "instance.availability-zone", 400),   # eu-west-1b is not in it
        ({"tags": {"Name": "x"}, "local-ipv4": "300.1.1.1"}, "instance.local-ipv4", 400),
        ({"colour": "blue"}, "colour", 400),
        ({"instance-id": None}, "instance.instance-id", 400),
        ({}, None, 400),
        ([1, 2], None, 400),
    ]:
        r = emu.api("PATCH", "/v1/instance", body)
        assert r.status == status, (body, r)
        if names:
            assert names in r.json["error"], (body, r.json)
    assert get(emu, MD + "tags/instance/Name", token).text == "web-1", "a refused change left a part behind"
    assert emu.api("PATCH", "/v1/instance", {"region": "eu-west-1"}, auth=None).status == 401


def test_sighup_reloads_the_file_without_dropping_a_connection_or_token(control_emulator, tmp_path):
    emu, cfg = started(control_emulator, tmp_path)
    token = get_token(emu)
    # A request half sent before the reload is answered after it.
    s = socket.create_connection((emu.host, emu.port), timeout=5)
    s.sendall(f"GET {MD}placement/availability-zone HTTP/1.1\r\nHost: {emu.host}\r\n".encode())
    cfg.write_text(CONFIG.replace("web-1", "web-9").replace("eu-west-1b", "eu-west-1c")
                   + "  network-interfaces:\n    - {local-ipv4: 172.31.16.20}\n")
    emu.send_signal(signal.SIGHUP)
    wait_for(lambda: "SIGHUP: configuration reloaded" in emu.stderr_text(), "the reload")
    s.sendall(f"{TOKEN_HEADER}: {token}\r\nConnection: close\r\n\r\n".encode())
    reply = b""
    while chunk := s.recv(65536):
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"eu-west-1c"), reply
    assert get(emu, MD + "tags/instance/Name", token).text == "web-9"
    macs = get(emu, MD + "network/interfaces/macs/", token).text.split("\n")
    assert len(macs) == 2
    devices = sorted(get(emu, f"{MD}network/interfaces/macs/{m}device-number", token).text for m in macs)
    assert devices == ["0", "1"]
    assert json.loads(get(emu, "/latest/dynamic/instance-identity/document", token).text)["availabilityZone"] == "eu-west-1c"
    assert any(e.get("via") == "SIGHUP" for e in emu.journal_all() if e.get("kind") == "instance")

    # A key only a restart applies is named, the rest still reloads.
    cfg.write_text("role: another-role\n" + CONFIG)
    emu.send_signal(signal.SIGHUP)
    wait_for(lambda: "only a restart applies" in emu.stderr_text(), "the warning")
    assert "role changed" in emu.stderr_text()
    assert get(emu, MD + "tags/instance/Name", token).text == "web-1"
    assert get(emu, MD + "iam/security-credentials/", token).text == "imds-emulator"

    # A file that no longer reads leaves everything as it was.
    cfg.write_text(CONFIG.replace("eu-west-1b", "mars-1b"))
    emu.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration not reloaded" in emu.stderr_text(), "the refusal")
    assert "instance.availability-zone" in emu.stderr_text()
    assert emu.running and get(emu, MD + "placement/availability-zone", token).text == "eu-west-1b"


def test_identity_credentials_are_a_set_of_their_own(control_emulator, tmp_path):
    emu, _ = started(control_emulator, tmp_path)
    token = get_token(emu)
    assert get(emu, MD + "identity-credentials/ec2/security-credentials/", token).text == "ec2-instance"
    first = json.loads(get(emu, IDENTITY, token).text)
    role = json.loads(get(emu, MD + "iam/security-credentials/imds-emulator", token).text)
    assert first["Code"] == "Success" and first["Type"] == "AWS-HMAC" and first["AccessKeyId"].startswith("ASIA")
    assert first["AccessKeyId"] != role["AccessKeyId"] and first["Token"] != role["Token"]
    info = json.loads(get(emu, MD + "identity-credentials/ec2/info", token).text)
    assert list(info) == ["Code", "LastUpdated", "AccountId"] and info["AccountId"] == "123456789012"

    # Rotating the role leaves the identity set alone, and the other way round.
    emu.call("POST", "/v1/roles/imds-emulator/rotate")
    assert json.loads(get(emu, IDENTITY, token).text)["AccessKeyId"] == first["AccessKeyId"]
    rotated = emu.call("POST", "/v1/identity-credentials/rotate")
    assert rotated["access_key_id"] != first["AccessKeyId"]
    assert json.loads(get(emu, IDENTITY, token).text)["AccessKeyId"] == rotated["access_key_id"]
    assert emu.state()["identity_credentials"]["access_key_id"] == rotated["access_key_id"]

    # Its own schedule: an hour later (the emulator's clock) it has been replaced by the timer.
    emu.set_clock(3601)
    wait_for(lambda: emu.state()["identity_credentials"]["access_key_id"] != rotated["access_key_id"],
             "the identity set's rotation")
    later = json.loads(get(emu, IDENTITY, token).text)
    assert later["AccessKeyId"] not in (first["AccessKeyId"], rotated["access_key_id"])
    records = [r for r in emu.access_records() if r["path"] == IDENTITY]
    assert records and all(r["role"] == "ec2-instance" for r in records)
