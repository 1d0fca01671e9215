"""cloud-init's own EC2 datasource (Debian's cloud-init package, unpacked by scripts/test and
run with Debian's python3; never installed, so it cannot touch the machine) crawls the
emulator on 169.254.169.254 inside a namespace of the test's own: a token first, a dated API
version, the whole meta-data tree, user-data and the identity document with its signatures,
all agreeing with the configuration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest_netns import IMDS_V4, IMDS_V6, feature_emulator, link_local_ns  # noqa: F401

CLOUD_INIT = os.environ.get("IMDS_CLOUD_INIT_PATH", "")

CRAWL = r'''
import json, sys, tempfile
from cloudinit import helpers
from cloudinit.sources import DataSourceEc2 as ec2
d = tempfile.mkdtemp()
ds = ec2.DataSourceEc2(
    sys_cfg={"datasource": {"Ec2": {"metadata_urls": ["http://169.254.169.254"], "max_wait": 20, "timeout": 5}}},
    distro=None, paths=helpers.Paths({"run_dir": d, "cloud_dir": d}))
ds._cloud_name = "aws"   # what cloud-init's platform check (DMI) says on a real EC2 instance
crawled = ds.crawl_metadata()
# The network configuration cloud-init would write for these interfaces, each MAC named by
# its device number as the kernel would have them.
macs = crawled["meta-data"]["network"]["interfaces"]["macs"]
crawled["netplan"] = ec2.convert_ec2_metadata_network_config(
    crawled["meta-data"]["network"], macs_to_nics={m: "eth" + v["device-number"] for m, v in macs.items()})
print(json.dumps(crawled, default=lambda o: o.decode() if isinstance(o, bytes) else str(o)))
'''

CONFIG = """\
role: web-role
instance:
  region: eu-west-1
  instance-id: i-0a1b2c3d4e5f60718
  local-ipv4: 10.20.30.40
  tags: {Name: web-1}
  public-keys: {laptop: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"}
  user-data: "#cloud-config\\nhostname: web-1\\n"
  network-interfaces:
    - {local-ipv4: [10.20.30.50, 10.20.30.51]}
"""


@pytest.fixture
def cloud_init():
    site = Path(CLOUD_INIT) / "usr/lib/python3/dist-packages"
    if not CLOUD_INIT or not (site / "cloudinit").is_dir():
        pytest.fail("cloud-init is not unpacked: scripts/test sets IMDS_CLOUD_INIT_PATH")
    return str(site)


def test_cloud_init_ec2_datasource_crawls_the_emulator(link_local_ns, feature_emulator, cloud_init, tmp_path):
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(CONFIG)
    ns = link_local_ns()
    emu = feature_emulator("--listen", f"{IMDS_V4}:80", "--config", str(cfg), netns=ns)
    r = ns.run(["/usr/bin/python3", "-c", CRAWL], env={"PATH": "/usr/bin:/bin", "HOME": str(ns.home),
                                                        "PYTHONPATH": cloud_init}, timeout=120)
    assert r.returncode == 0, r.stderr
    crawled = json.loads(r.stdout.strip().splitlines()[-1])
    assert crawled, f"cloud-init found no metadata service:\n{r.stderr[-2000:]}"
    assert crawled["_metadata_api_version"] == "2021-03-23"
    md = crawled["meta-data"]
    assert md["instance-id"] == "i-0a1b2c3d4e5f60718" and md["local-ipv4"] == "10.20.30.40"
    assert md["placement"]["region"] == "eu-west-1" and md["placement"]["availability-zone"] == "eu-west-1a"
    assert md["tags"]["instance"]["Name"] == "web-1"
    assert md["iam"]["info"]["InstanceProfileArn"].endswith(":instance-profile/web-role")
    assert "security-credentials" not in md["iam"], "cloud-init skips credentials"
    assert md["network"]["interfaces"]["macs"][md["mac"]]["local-ipv4s"] == "10.20.30.40"
    # Two interfaces: route metrics by device number, the second's secondary address with
    # its subnet's prefix.
    eth = crawled["netplan"]["ethernets"]
    assert sorted(eth) == ["eth0", "eth1"], eth
    assert eth["eth0"]["dhcp4-overrides"] == {"route-metric": 100} and "addresses" not in eth["eth0"]
    assert eth["eth1"]["dhcp4-overrides"] == {"route-metric": 200} and eth["eth1"]["addresses"] == ["10.20.30.51/20"]
    assert crawled["user-data"] == "#cloud-config\nhostname: web-1\n"
    # cloud-init follows `0=laptop` to `0/openssh-key` and keys the result by name.
    assert md["public-keys"] == {"laptop": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"}
    identity = crawled["dynamic"]["instance-identity"]
    assert identity["document"]["instanceId"] == "i-0a1b2c3d4e5f60718"
    assert identity["document"]["region"] == "eu-west-1"
    assert identity["signature"] and identity["pkcs7"] and identity["rsa2048"]
    records = emu.access_records()
    assert records[0]["path"] == "/latest/api/token" and records[0]["status"] == 200
    assert all(r["imds_version"] == "v2" for r in records), "cloud-init went without a token"
    assert any(r["user_agent"].startswith("Cloud-Init/") for r in records)
