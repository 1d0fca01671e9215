"""Amazon Linux's own `ec2-metadata` script (amazon-ec2-utils, vendored unmodified under
vendor/amazon-ec2-utils, run with /usr/bin/bash and curl) reads the emulator on
169.254.169.254, which it hardcodes, inside a namespace of the test's own: every option prints
what the configuration implies, `--all` (the default) shows the values the instance does not
have as "not available" because they are real 404s, `--path` reads nested paths and a Spot
interruption and rebalance recommendation once they are due, and every request carries an
IMDSv2 token got first."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest_netns import IMDS_V4, feature_emulator, link_local_ns  # noqa: F401

SCRIPT = Path(__file__).resolve().parent / "vendor" / "amazon-ec2-utils" / "ec2-metadata"
SCRIPT_BLOB = "0dea7cfe7f952a89b6f8fd134fe5c27f684ee1c1"  # git blob at amazon-ec2-utils d84cf6d
CLIENT_PATH = "/usr/bin:/bin"

CONFIG = """\
instance:
  region: ap-southeast-2
  availability-zone: ap-southeast-2c
  availability-zone-id: apse2-az1
  instance-id: i-0a1b2c3d4e5f60718
  instance-type: m5.large
  ami-id: ami-0fedcba9876543210
  local-ipv4: 10.20.30.40
  public-ipv4: 13.54.1.2
  reservation-id: r-0aaaabbbbccccdddd
  security-groups: [web, ssh]
  tags: {Name: web-1, team: core}
  public-keys: {laptop: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"}
  user-data: "#!/bin/sh\\necho hello\\n"
  block-device-mapping: {ami: /dev/xvda, root: /dev/xvda, ebs1: sdb}
"""

NA = "not available"  # what the script prints when curl -f fails, i.e. on a 404


def lines(*xs: str) -> str:
    return "".join(x + "\n" for x in xs)


# Each long option, in the order of the script's print_all, and what it prints for CONFIG.
EXPECTED = {
    "ami-id": lines("ami-id: ami-0fedcba9876543210"),
    "ami-launch-index": lines("ami-launch-index: 0"),
    "ami-manifest-path": lines("ami-manifest-path: (unknown)"),  # EC2's value for EBS AMIs
    "ancestor-ami-ids": lines(f"ancestor-ami-ids: {NA}"),
    "block-device-mapping": lines("block-device-mapping: ", "\t ami: /dev/xvda", "\t ebs1: sdb",
                                  "\t root: /dev/xvda"),
    "instance-id": lines("instance-id: i-0a1b2c3d4e5f60718"),
    "instance-type": lines("instance-type: m5.large"),
    "local-hostname": lines("local-hostname: ip-10-20-30-40.ap-southeast-2.compute.internal"),
    "local-ipv4": lines("local-ipv4: 10.20.30.40"),
    "kernel-id": lines(f"kernel-id: {NA}"),
    "availability-zone": lines("placement: ap-southeast-2c"),
    "region": lines("region: ap-southeast-2"),
    "partition": lines("partition: aws"),
    "product-codes": lines(f"product-codes: {NA}"),
    "public-hostname": lines("public-hostname: ec2-13-54-1-2.ap-southeast-2.compute.amazonaws.com"),
    "public-ipv4": lines("public-ipv4: 13.54.1.2"),
    "public-keys": lines("public-keys: ", "keyname:laptop", "index:0", "format:openssh-key",
                         "key:(begins from next line)",
                         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"),
    "ramdisk-id": lines(f"ramdisk-id: {NA}"),
    "reservation-id": lines("reservation-id: r-0aaaabbbbccccdddd"),
    "security-groups": lines("security-groups: web", "ssh"),
    "user-data": lines("user-data: #!/bin/sh", "echo hello"),  # $(…) drops the final newline
    "tags": lines("tags: ", "\t Name: web-1", "\t team: core"),
}
ALL = "".join(EXPECTED.values())
SHORT = {"ami-id": "-a", "ami-launch-index": "-l", "ami-manifest-path": "-m", "ancestor-ami-ids": "-n",
         "block-device-mapping": "-b", "instance-id": "-i", "instance-type": "-t",
         "local-hostname": "-h", "local-ipv4": "-o", "kernel-id": "-k", "availability-zone": "-z",
         "region": "-R", "partition": "-P", "product-codes": "-c", "public-hostname": "-p",
         "public-ipv4": "-v", "public-keys": "-u", "ramdisk-id": "-r", "reservation-id": "-e",
         "security-groups": "-s", "user-data": "-d", "tags": "-g"}
# The paths behind the "not available" lines: nothing else may answer 404.
ABSENT = {"/latest/meta-data/ancestor-ami-ids", "/latest/meta-data/kernel-id",
          "/latest/meta-data/product-codes", "/latest/meta-data/ramdisk-id"}

SPOT_CONFIG = """\
instance:
  region: ap-southeast-2
  instance-life-cycle: spot
events:
  - type: rebalance-recommendation
  - type: spot-interruption
    after: 5s
"""


@pytest.fixture
def ec2_metadata():
    """The vendored script, unmodified, and what it needs: /usr/bin/bash (its #!) and curl."""
    if not Path("/usr/bin/bash").is_file():
        pytest.fail("/usr/bin/bash is missing: ec2-metadata is a bash script")
    if shutil.which("curl", path=CLIENT_PATH) is None:
        pytest.fail(f"curl is not on {CLIENT_PATH}: ec2-metadata calls it for every request")
    data = SCRIPT.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob == SCRIPT_BLOB, f"{SCRIPT} is not the vendored amazon-ec2-utils script"

    def run(ns, *args) -> str:
        r = ns.run(["/usr/bin/bash", str(SCRIPT), *args],
                   env={"PATH": CLIENT_PATH, "HOME": str(ns.home)}, timeout=60)
        assert r.returncode == 0 and r.stderr == "", (args, r.returncode, r.stdout, r.stderr)
        return r.stdout

    return run


def start(link_local_ns, feature_emulator, tmp_path, config: str):
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(config)
    ns = link_local_ns()
    return ns, feature_emulator("--listen", f"{IMDS_V4}:80", "--config", str(cfg), netns=ns)


def v2_records(emu, runs: int) -> list:
    """The access log of `runs` script runs: each began with a token PUT, every request carried
    the token (IMDSv2) and got a 200 or a 404, never a 401 or a 5xx."""
    records = emu.access_records()
    assert records, "the emulator saw no request"
    assert (records[0]["method"], records[0]["path"], records[0]["status"]) == ("PUT", "/latest/api/token", 200)
    assert [r["path"] for r in records if r["method"] == "PUT"] == ["/latest/api/token"] * runs
    assert all(r["imds_version"] == "v2" for r in records), [r for r in records if r["imds_version"] != "v2"]
    assert not [r for r in records if r["status"] >= 500], "a 5xx"
    assert {r["status"] for r in records} <= {200, 404}, [r for r in records if r["status"] not in (200, 404)]
    assert all(r["user_agent"].startswith("curl/") for r in records)
    return records


def not_found(records) -> set:
    """Paths (runs of / collapsed: the script asks for /latest//meta-data/ramdisk-id) that got 404."""
    return {re.sub("/+", "/", r["path"]) for r in records if r["status"] == 404}


def epoch(iso: str) -> int:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def test_each_option_prints_what_the_configuration_implies(link_local_ns, feature_emulator, ec2_metadata,
                                                           tmp_path):
    ns, emu = start(link_local_ns, feature_emulator, tmp_path, CONFIG)
    wrong = {}
    for option, want in EXPECTED.items():
        got = ec2_metadata(ns, "--" + option)
        if got != want:
            wrong["--" + option] = got
    assert wrong == {}, wrong
    # All short options at once: printed in the order given.
    assert ec2_metadata(ns, *SHORT.values()) == ALL
    # --quiet drops the label of a value; print_tags always prints the keys, only the header goes.
    assert ec2_metadata(ns, "--quiet", "-i", "-z", "-e") == lines("i-0a1b2c3d4e5f60718", "ap-southeast-2c",
                                                                  "r-0aaaabbbbccccdddd")
    assert ec2_metadata(ns, "--quiet", "--tags") == lines("\t Name: web-1", "\t team: core")
    assert ec2_metadata(ns, "--quiet", "-u") == lines("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop")
    # --path: below meta-data/ unless the path says otherwise; the label is the normalised path.
    assert ec2_metadata(ns, "--path", "placement/availability-zone-id", "--path", "services/domain",
                        "--path", "//tags/instance/Name") == lines(
        "latest/meta-data/placement/availability-zone-id: apse2-az1",
        "latest/meta-data/services/domain: amazonaws.com",
        "latest/meta-data/tags/instance/Name: web-1")
    label, _, doc = ec2_metadata(ns, "--path", "dynamic/instance-identity/document").partition(": ")
    assert label == "latest/dynamic/instance-identity/document"
    doc = json.loads(doc)
    assert (doc["instanceId"], doc["region"], doc["availabilityZone"], doc["privateIp"], doc["imageId"],
            doc["instanceType"]) == ("i-0a1b2c3d4e5f60718", "ap-southeast-2", "ap-southeast-2c",
                                     "10.20.30.40", "ami-0fedcba9876543210", "m5.large")
    records = v2_records(emu, runs=len(EXPECTED) + 6)
    assert not_found(records) == ABSENT


def test_all_is_the_default_and_absent_values_are_real_404s(link_local_ns, feature_emulator, ec2_metadata,
                                                             tmp_path):
    ns, emu = start(link_local_ns, feature_emulator, tmp_path, CONFIG)
    assert ec2_metadata(ns) == ALL
    assert ec2_metadata(ns, "--all") == ALL
    for name in ("kernel-id", "ramdisk-id", "product-codes", "ancestor-ami-ids"):
        assert f"\n{name}: {NA}\n" in ALL
    records = v2_records(emu, runs=2)
    # "not available" comes from a 404 (curl -f), not from a failed connection or a 5xx.
    assert not_found(records) == ABSENT
    assert sum(r["status"] == 404 for r in records) == 2 * len(ABSENT)
    user_data = [r for r in records if r["path"] == "/latest/user-data"]
    assert [r["status"] for r in user_data] == [200, 200]


def test_spot_interruption_and_rebalance_through_path(link_local_ns, feature_emulator, ec2_metadata, tmp_path):
    """The rebalance recommendation is in effect at start; the Spot notice is due 5 s later, with
    the action 2 minutes after the notice (EC2's and the emulator's default)."""
    t0 = int(time.time())
    ns, emu = start(link_local_ns, feature_emulator, tmp_path, SPOT_CONFIG)
    first = ec2_metadata(ns, "--path", "events/recommendations/rebalance", "--path", "spot/instance-action")
    early = time.time() < t0 + 4  # the notice cannot be due yet
    label, _, rest = first.partition(": ")
    assert label == "latest/meta-data/events/recommendations/rebalance"
    rebalance, _, spot = rest.partition("\n")
    notice = json.loads(rebalance)
    assert list(notice) == ["noticeTime"] and t0 - 1 <= epoch(notice["noticeTime"]) <= time.time() + 1
    assert rebalance == f'{{"noticeTime": "{notice["noticeTime"]}"}}'
    if early:
        assert spot == lines(f"latest/meta-data/spot/instance-action: {NA}")
    runs = 1
    deadline = time.monotonic() + 20
    while True:
        out = ec2_metadata(ns, "--path", "spot/instance-action", "--path", "spot/termination-time")
        runs += 1
        if not out.startswith(f"latest/meta-data/spot/instance-action: {NA}") or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    seen = time.time()
    m = re.fullmatch(r'latest/meta-data/spot/instance-action: (\{"action": "terminate", "time": "([^"]+)"\})\n'
                     r'latest/meta-data/spot/termination-time: (\S+)\n', out)
    assert m, f"no Spot notice within 20 s:\n{out}"
    assert json.loads(m.group(1)) == {"action": "terminate", "time": m.group(2)}
    assert m.group(3) == m.group(2)
    assert t0 + 5 + 120 - 1 <= epoch(m.group(2)) <= seen + 120 + 1
    assert ec2_metadata(ns, "--path", "spot") == lines("latest/meta-data/spot: instance-action", "termination-time")
    records = v2_records(emu, runs=runs + 1)
    gone = not_found(records)
    assert gone <= {"/latest/meta-data/spot/instance-action", "/latest/meta-data/spot/termination-time"}, gone
    if early:
        assert "/latest/meta-data/spot/instance-action" in gone
