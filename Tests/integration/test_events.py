"""Instance events (docs/control-api.md, README "Simulating an instance"): Spot interruption,
rebalance recommendation, scheduled maintenance and Auto Scaling target state, driven through
the control API and the configuration file, read by botocore's own IMDS fetcher with a token,
limited to one client, recorded in the journal, and the instance going silent after a Spot
terminate that asks for it. Bad events in the file: test_cli.py."""

from __future__ import annotations

import json
import time

import pytest

from conftest_control import control_emulator, control_env, imds_request, iso_epoch, raw_exchange  # noqa: F401
from imds_helpers import TOKEN_PATH, TTL_HEADER, build_request, reader

MD = "/latest/meta-data/"

SPOT_ASG = """\
instance:
  instance-life-cycle: spot
  auto-scaling-group: web-asg
"""


def spot_emulator(control_emulator, tmp_path, extra: str = ""):
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(SPOT_ASG + extra)
    return control_emulator("--config", str(cfg))


def wait_status(read, path: str, status: int, limit: float = 10.0):
    t0 = time.monotonic()
    while True:
        code, body = read(path)
        if code == status or time.monotonic() - t0 > limit:
            return code, body
        time.sleep(0.1)


def test_spot_interruption_notice(control_emulator, tmp_path):
    """404 before; then {"action": "terminate", "time": notice + 2 min} and termination-time."""
    emu = spot_emulator(control_emulator, tmp_path)
    r = reader(emu)
    assert r.read("instance-life-cycle") == (200, "spot")
    assert r.read("spot/instance-action")[0] == 404
    created = emu.call("POST", "/v1/events", {"type": "spot-interruption", "after_seconds": 1}, expect=201)
    assert created["type"] == "spot-interruption" and created["action"] == "terminate"
    code, body = wait_status(r.read, "spot/instance-action", 200)
    assert code == 200, body
    assert body == f'{{"action": "terminate", "time": "{created["action_time"]}"}}'
    assert iso_epoch(created["action_time"]) - iso_epoch(created["effective"]) == 120
    assert r.read("spot/termination-time") == (200, created["action_time"])
    assert "spot/" in r.read("")[1].split("\n")


def test_event_at_a_time_reached_by_a_clock_shift(control_emulator, tmp_path):
    """`at` an hour ahead: hidden until the control API's clock passes it."""
    emu = spot_emulator(control_emulator, tmp_path)
    now = iso_epoch(emu.state()["now"])
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    emu.call("POST", "/v1/events", {"type": "rebalance-recommendation", "at": at}, expect=201)
    r = reader(emu)
    assert r.read("events/recommendations/rebalance")[0] == 404
    emu.set_clock(3601)
    assert r.read("events/recommendations/rebalance") == (200, f'{{"noticeTime": "{at}"}}')


def test_events_shown_to_one_client_only(control_emulator, tmp_path):
    """A user_agent filter (botocore's own user agent) and a client filter (source 127.0.0.2)."""
    emu = spot_emulator(control_emulator, tmp_path)
    emu.call("POST", "/v1/events", {"type": "spot-interruption", "action": "stop",
                                    "user_agent": "node-termination-handler"}, expect=201)
    emu.call("POST", "/v1/events", {"type": "rebalance-recommendation", "client": "127.0.0.2"}, expect=201)
    assert reader(emu, user_agent="aws-node-termination-handler/1.0").read("spot/instance-action")[0] == 200
    assert reader(emu, user_agent="my-app/1.0").read("spot/instance-action")[0] == 404
    tok_resp = imds_request(emu, "PUT", TOKEN_PATH, headers=[(TTL_HEADER, "60")], source="127.0.0.2")
    token = tok_resp.text
    assert imds_request(emu, "GET", MD + "events/recommendations/rebalance", token, source="127.0.0.2").status == 200
    assert imds_request(emu, "GET", MD + "events/recommendations/rebalance", token, source="127.0.0.1").status == 404


def test_scheduled_maintenance_then_history(control_emulator, tmp_path):
    """EC2's member order and dates; completing moves the event to history; the journal holds
    the creation and the change."""
    emu = spot_emulator(control_emulator, tmp_path)
    r = reader(emu)
    assert r.read("events/maintenance/scheduled") == (200, "[]")
    created = emu.call("POST", "/v1/events", {
        "type": "maintenance", "code": "instance-retirement",
        "not_before": "2030-01-02T03:04:05Z", "not_after": "2030-01-02T05:00:00Z"}, expect=201)
    code, body = r.read("events/maintenance/scheduled")
    assert code == 200
    (entry,) = json.loads(body)
    assert list(entry) == ["NotBefore", "Code", "Description", "EventId", "NotAfter", "State"]
    assert entry["NotBefore"] == "2 Jan 2030 03:04:05 GMT" and entry["NotAfter"] == "2 Jan 2030 05:00:00 GMT"
    assert entry["Code"] == "instance-retirement" and entry["State"] == "active"
    assert entry["EventId"] == created["event_id"] and entry["EventId"].startswith("instance-event-")
    assert body.startswith("[ {\n  \"NotBefore\" : ")
    emu.call("PATCH", f"/v1/events/{created['id']}", {"state": "completed"})
    assert r.read("events/maintenance/scheduled") == (200, "[]")
    (done,) = json.loads(r.read("events/maintenance/history")[1])
    assert done["State"] == "completed" and done["EventId"] == created["event_id"]
    changes = [(x["change"], x["event"]["id"]) for x in emu.journal()["records"] if x.get("kind") == "event"]
    assert changes == [("created", created["id"]), ("updated", created["id"])]


def test_auto_scaling_target_state(control_emulator, tmp_path):
    emu = spot_emulator(control_emulator, tmp_path)
    r = reader(emu)
    assert r.read("autoscaling/target-lifecycle-state") == (200, "InService")
    emu.call("POST", "/v1/events", {"type": "autoscaling", "target_state": "Terminated"}, expect=201)
    assert r.read("autoscaling/target-lifecycle-state") == (200, "Terminated")


def test_instance_goes_silent_after_a_spot_terminate(control_emulator, tmp_path):
    """stop_answering: once the action time passes, connections close without an answer (as
    if the instance were gone); deleting the event brings the service back."""
    emu = spot_emulator(control_emulator, tmp_path)
    created = emu.call("POST", "/v1/events", {"type": "spot-interruption", "action_after_seconds": 1,
                                              "stop_answering": True}, expect=201)
    assert imds_request(emu, "PUT", TOKEN_PATH, headers=[(TTL_HEADER, "60")]).status == 200
    time.sleep(1.2)
    raw, _, _ = raw_exchange(emu.host, emu.port, build_request("PUT", TOKEN_PATH, emu.host, emu.port,
                                                              [(TTL_HEADER, "60")], b"", "t"))
    assert raw == b"", raw
    with pytest.raises(Exception):
        reader(emu).read("instance-id")
    emu.call("DELETE", f"/v1/events/{created['id']}")
    assert reader(emu).read("instance-id")[0] == 200


def test_events_from_the_configuration_file(control_emulator, tmp_path):
    """`events:` in the file, with durations and the file's key spelling, start with the process."""
    emu = spot_emulator(control_emulator, tmp_path, extra="""\
events:
  - type: maintenance
    code: system-maintenance
    not-before: "2030-05-01T10:00:00Z"
  - type: spot-interruption
    after: 1s
    action-after: 5m
""")
    listed = emu.call("GET", "/v1/events")["events"]
    assert [e["type"] for e in listed] == ["maintenance", "spot-interruption"]
    r = reader(emu)
    assert json.loads(r.read("events/maintenance/scheduled")[1])[0]["Code"] == "system-maintenance"
    code, body = wait_status(r.read, "spot/instance-action", 200)
    assert code == 200
    doc = json.loads(body)
    assert iso_epoch(doc["time"]) - iso_epoch(listed[1]["effective"]) == 300
    created = [x for x in emu.journal()["records"] if x.get("kind") == "event"]
    assert [x["change"] for x in created] == ["created", "created"]


def test_bad_event_requests_are_400(control_emulator, tmp_path):
    emu = spot_emulator(control_emulator, tmp_path)
    for body, needle in [({"type": "volcano"}, "type"), ({"type": "maintenance", "colour": "x"}, "colour"),
                         ({"type": "maintenance", "at": "soon"}, "at"),
                         ({"type": "rebalance-recommendation", "action": "stop"}, "action")]:
        resp = emu.api("POST", "/v1/events", body)
        assert resp.status == 400 and needle in resp.json["error"], (body, resp)
    assert emu.api("PATCH", "/v1/events/evt-404", {"state": "completed"}).status == 404
    assert emu.call("GET", "/v1/events")["events"] == []


def test_reset_restores_the_files_events(control_emulator, tmp_path):
    """POST /v1/reset: the file's events again, the control API's gone."""
    emu = spot_emulator(control_emulator, tmp_path, extra="events:\n  - type: maintenance\n")
    emu.call("POST", "/v1/events", {"type": "rebalance-recommendation"}, expect=201)
    assert len(emu.call("GET", "/v1/events")["events"]) == 2
    emu.call("POST", "/v1/reset")
    assert [e["type"] for e in emu.call("GET", "/v1/events")["events"]] == ["maintenance"]
    assert reader(emu).read("events/recommendations/rebalance")[0] == 404
