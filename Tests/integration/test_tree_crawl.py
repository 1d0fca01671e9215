"""A crawl of the whole tree, as cloud-init does it: every entry a listing names answers, and no
value contradicts another (identity document, placement, network interface paths, hostnames,
partition and domain, the instance profile), for a few differently configured instances."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest

from imds_helpers import get, get_token

CONFIGS = {
    "default": "",
    "spot-in-sydney": """\
instance:
  region: ap-southeast-2
  availability-zone: ap-southeast-2c
  instance-life-cycle: spot
  auto-scaling-group: web
  tags: {Name: web-1, team: core}
  user-data: "#cloud-config\\nruncmd: [true]\\n"
  public-ipv4: 13.54.1.2
  ipv6: ["2406:da1c::10"]
  public-keys: {laptop: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"}
  block-device-mapping: {ami: /dev/xvda, root: /dev/xvda, ebs1: sdb}
  network-interfaces:
    - {local-ipv4: [172.31.16.30, 172.31.16.31], public-ipv4: 13.54.9.9}
    - {subnet-ipv4-cidr-block: 172.31.48.0/20, security-groups: [db]}
""",
    "china": """\
role: reader
instance:
  region: cn-northwest-1
  local-ipv4: 10.1.2.3
  security-groups: [web, ssh]
""",
}


def crawl(emu, token) -> dict:
    """Every leaf under /latest/ (path → body), following listings as clients do; a listed
    entry that does not answer 200 fails the test."""
    leaves, pending, seen = {}, ["/latest/"], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        r = get(emu, path, token)
        assert r.status == 200, f"{path} is listed but answers {r.status}"
        if not path.endswith("/"):
            leaves[path] = r.text
            continue
        assert r.text and not r.text.endswith("\n"), f"{path}: empty listing or trailing newline"
        for entry in r.text.split("\n"):
            if path == "/latest/":
                entry = entry + ("" if entry == "user-data" else "/")
            if "=" in entry and path.endswith("public-keys/"):
                entry = entry.split("=", 1)[0] + "/"
            pending.append(path + entry)
    return leaves


@pytest.mark.parametrize("name", list(CONFIGS))
def test_crawl_finds_every_listed_path_and_no_contradiction(emulator, tmp_path, name):
    args = []
    if CONFIGS[name]:
        cfg = tmp_path / "imds.yaml"
        cfg.write_text(CONFIGS[name])
        args = ["--config", str(cfg)]
    emu = emulator(*args)
    leaves = crawl(emu, get_token(emu))
    md = {p[len("/latest/meta-data/"):]: v for p, v in leaves.items() if p.startswith("/latest/meta-data/")}
    doc = json.loads(leaves["/latest/dynamic/instance-identity/document"])

    region = md["placement/region"]
    az = md["placement/availability-zone"]
    assert doc["region"] == region and doc["availabilityZone"] == az
    assert az[:-1] == region and re.fullmatch(r"[a-z]", az[-1])
    assert re.fullmatch(r"[a-z]+[0-9]-az[0-9]+", md["placement/availability-zone-id"])
    assert doc["instanceId"] == md["instance-id"] and doc["instanceType"] == md["instance-type"]
    assert doc["imageId"] == md["ami-id"] and doc["privateIp"] == md["local-ipv4"]
    assert md["hostname"] == md["local-hostname"] and md["local-ipv4"].replace(".", "-") in md["hostname"]

    partition = md["services/partition"]
    assert partition == ("aws-cn" if region.startswith("cn-") else "aws")
    assert md["services/domain"] == ("amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com")

    mac = md["mac"]
    nic = f"network/interfaces/macs/{mac}/"
    assert md[nic + "mac"] == mac and md[nic + "local-ipv4s"].split("\n")[0] == md["local-ipv4"]
    local = ipaddress.ip_address(md["local-ipv4"])
    subnet = ipaddress.ip_network(md[nic + "subnet-ipv4-cidr-block"])
    vpc = ipaddress.ip_network(md[nic + "vpc-ipv4-cidr-block"])
    assert local in subnet and subnet.subnet_of(vpc), (local, subnet, vpc)
    assert md[nic + "vpc-ipv4-cidr-blocks"].split("\n")[0] == str(vpc)
    assert re.fullmatch(r"eni-[0-9a-f]{17}", md[nic + "interface-id"])
    assert re.fullmatch(r"subnet-[0-9a-f]{17}", md[nic + "subnet-id"]) and md[nic + "vpc-id"].startswith("vpc-")
    assert len(md[nic + "security-group-ids"].split("\n")) == len(md["security-groups"].split("\n"))
    if "public-ipv4" in md:
        ip = md["public-ipv4"]
        assert md[nic + "public-ipv4s"] == ip and md[nic + "ipv4-associations/" + ip] == md["local-ipv4"]
        assert md["public-hostname"] == md[nic + "public-hostname"]
        assert md["public-hostname"].startswith("ec2-" + ip.replace(".", "-") + ".")
        assert md["public-hostname"].endswith(md["services/domain"])
    else:
        assert not any(p.startswith(nic + "public") or p.startswith(nic + "ipv4-associations") for p in md)
    if "ipv6" in md:
        assert md["ipv6"] == md[nic + "ipv6s"].split("\n")[0]
    keys = {p.split("/")[1]: v for p, v in md.items() if p.startswith("public-keys/")}
    for index, key in keys.items():
        assert re.fullmatch(r"\d+", index) and key.startswith("ssh-"), (index, key)
    assert list(md["block-device-mapping/" + n] for n in ("ami", "root")) == ["/dev/xvda", "/dev/xvda"]
    assert md[nic + "security-groups"] == md["security-groups"]
    assert md[nic + "local-hostname"] == md["local-hostname"]
    assert md[nic + "device-number"] == "0"

    # Every interface: its own MAC, id and addresses, inside its subnet, in the one VPC.
    nics = sorted({p.split("/")[3] for p in md if p.startswith("network/interfaces/macs/")})
    devices, addresses = set(), set()
    for mac in nics:
        d = f"network/interfaces/macs/{mac}/"
        assert md[d + "mac"] == mac and md[d + "owner-id"] == doc["accountId"]
        assert md[d + "vpc-id"] == md[nic + "vpc-id"] and md[d + "vpc-ipv4-cidr-block"] == str(vpc)
        sub = ipaddress.ip_network(md[d + "subnet-ipv4-cidr-block"])
        assert sub.subnet_of(vpc)
        ips = md[d + "local-ipv4s"].split("\n")
        assert all(ipaddress.ip_address(ip) in sub for ip in ips), (mac, ips, sub)
        assert md[d + "local-hostname"].startswith("ip-" + ips[0].replace(".", "-") + ".")
        assert len(md[d + "security-group-ids"].split("\n")) == len(md[d + "security-groups"].split("\n"))
        devices.add(md[d + "device-number"])
        assert not addresses & set(ips), "an address on two interfaces"
        addresses |= set(ips)
    assert devices == {str(i) for i in range(len(nics))}
    assert len({md[f"network/interfaces/macs/{m}/interface-id"] for m in nics}) == len(nics)

    # The instance's own identity set: its account, and keys apart from the role's.
    identity_info = json.loads(md["identity-credentials/ec2/info"])
    identity = json.loads(md["identity-credentials/ec2/security-credentials/ec2-instance"])
    assert identity_info["AccountId"] == doc["accountId"] and identity_info["LastUpdated"] == identity["LastUpdated"]

    roles = [p.split("/")[-1] for p in md if p.startswith("iam/security-credentials/")]
    assert len(roles) == 1, roles
    info = json.loads(md["iam/info"])
    assert info["InstanceProfileArn"].split(":")[4] == doc["accountId"]
    assert info["InstanceProfileArn"].startswith(f"arn:{partition}:iam::")
    creds = json.loads(md["iam/security-credentials/" + roles[0]])
    assert creds["Code"] == "Success" and creds["AccessKeyId"].startswith("ASIA")
    assert identity["AccessKeyId"].startswith("ASIA") and identity["AccessKeyId"] != creds["AccessKeyId"]

    life = md["instance-life-cycle"]
    assert life in ("on-demand", "spot")
    if name == "spot-in-sydney":
        assert md["public-hostname"] == "ec2-13-54-1-2.ap-southeast-2.compute.amazonaws.com"
        assert keys == {"0": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbc me@laptop"}
        assert md["block-device-mapping/ebs1"] == "sdb" and md["ipv6"] == "2406:da1c::10"
        assert life == "spot" and md["autoscaling/target-lifecycle-state"] == "InService"
        assert md["placement/availability-zone-id"] == "apse2-az3"
        assert md["tags/instance/Name"] == "web-1" and md["tags/instance/team"] == "core"
        assert len(nics) == 3 and addresses >= {"172.31.16.30", "172.31.16.31"}
        second = next(m for m in nics if md[f"network/interfaces/macs/{m}/device-number"] == "2")
        assert md[f"network/interfaces/macs/{second}/security-groups"] == "db"
        assert md[f"network/interfaces/macs/{second}/subnet-id"] != md[nic + "subnet-id"]
        assert leaves["/latest/user-data"].startswith("#cloud-config")
    if name == "china":
        assert md["placement/availability-zone-id"] == "cnnw1-az1"
        assert md["security-groups"] == "web\nssh" and roles == ["reader"]
    for listing in ("events/maintenance/scheduled", "events/maintenance/history"):
        assert json.loads(md[listing]) == []
    for signed in ("signature", "pkcs7", "rsa2048"):
        assert leaves["/latest/dynamic/instance-identity/" + signed]


def test_the_readme_example_is_the_default_instance(emulator, tmp_path):
    """README's full example configuration is accepted as it stands, and (but for its
    pending-time) describes exactly the instance the emulator is without any configuration:
    the example documents the defaults, so it cannot drift from them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("A full example, every key with its default", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = tmp_path / "example.yaml"
    cfg.write_text(example)
    documented, plain = emulator("--config", str(cfg)), emulator()

    def tree(emu) -> dict:
        leaves = crawl(emu, get_token(emu))
        skip = ("/iam/security-credentials/", "/identity-credentials/ec2/", "/iam/info", "/instance-identity/")
        return {p: v for p, v in leaves.items() if not any(s in p for s in skip)}

    ours, theirs = tree(documented), tree(plain)
    assert ours == theirs
    doc = json.loads(get(documented, "/latest/dynamic/instance-identity/document", get_token(documented)).text)
    assert doc["pendingTime"] == "2026-01-01T00:00:00Z"
