"""Drop-in use on the real IMDS addresses, inside a private network namespace.

The emulator listens on 169.254.169.254:80 and [fd00:ec2::254]:80 of a namespace whose `lo`
carries those addresses (scripts/netns-link-local); boto3, the AWS CLI v1 and v2 and curl run in
the same namespace with no endpoint variable at all and find it where SDKs look by default.
Nothing here sends a packet to a link-local address from the machine's own namespace.
"""

from __future__ import annotations

import ipaddress
import json
import os

import pytest

from conftest_netns import (  # noqa: F401 (fixtures)
    BOTO_DEFAULT_CHAIN, IMDS_V4, IMDS_V6, LINK_LOCAL_SCRIPT, Netns, _run_script, feature_emulator,
    last_json_line, link_local_ns, ns_destroy, ns_exists, ns_imds_credentials, ns_unique_name,
)
from imds_helpers import CREDS_PATH, TOKEN_RE, TTL_HEADER, debian_aws_v2_skip_reason

ROLE = "imds-emulator"
V4_BASE = f"http://{IMDS_V4}/"
V6_BASE = f"http://[{IMDS_V6}]/"


DEBIAN_V2_SKIP = debian_aws_v2_skip_reason()


@pytest.fixture
def on_link_local(link_local_ns, feature_emulator):
    """(ns, emu): the emulator on 169.254.169.254:80 and [fd00:ec2::254]:80 inside a namespace."""
    ns = link_local_ns()
    emu = feature_emulator("--listen", f"{IMDS_V4}:80", "--listen", f"[{IMDS_V6}]:80", netns=ns)
    return ns, emu


def client_records(emu, ua_marker: str, path: str | None = None) -> list:
    return [r for r in emu.access_records() if ua_marker in (r.get("user_agent") or "")
            and (path is None or r.get("path") == path)]


# =========================================================================== the script


def test_netns_link_local_script_up_and_down(tmp_path):
    """`netns-link-local up NAME` makes NAME with lo up and both addresses; `down NAME` deletes it."""
    assert LINK_LOCAL_SCRIPT.exists(), f"{LINK_LOCAL_SCRIPT} does not exist (not built yet)"
    assert os.access(LINK_LOCAL_SCRIPT, os.X_OK), f"{LINK_LOCAL_SCRIPT} is not executable"
    name = ns_unique_name()
    try:
        r = _run_script(LINK_LOCAL_SCRIPT, "up", name)
        assert r.returncode == 0, f"up: {r.returncode}\n{r.stdout}{r.stderr}"
        assert name in r.stdout, f"up does not print the namespace name: {r.stdout!r}"
        assert ns_exists(name)
        ns = Netns(name, tmp_path)
        assert ns.lo_is_up(), ns.ip("link", "show", "dev", "lo").stdout
        addrs = ns.lo_addresses()
        assert IMDS_V4 in addrs and IMDS_V6 in addrs, addrs
        out = ns.ip("-o", "addr", "show", "dev", "lo").stdout
        assert f"{IMDS_V4}/32" in out and f"{IMDS_V6}/128" in out, out
        r = _run_script(LINK_LOCAL_SCRIPT, "down", name)
        assert r.returncode == 0, f"down: {r.returncode}\n{r.stdout}{r.stderr}"
        assert not ns_exists(name), "namespace still there after down"
    finally:
        ns_destroy(name)


def test_netns_link_local_script_usage_error():
    """A wrong sub-command exits non-zero with a message and creates nothing."""
    assert LINK_LOCAL_SCRIPT.exists(), f"{LINK_LOCAL_SCRIPT} does not exist (not built yet)"
    name = ns_unique_name()
    try:
        r = _run_script(LINK_LOCAL_SCRIPT, "sideways", name)
        assert r.returncode != 0, r.stdout
        assert (r.stderr + r.stdout).strip(), "failure without a message"
        assert not ns_exists(name)
    finally:
        ns_destroy(name)


# =========================================================================== clients, default endpoint


def test_emulator_listens_on_both_link_local_addresses(on_link_local):
    """Both `listening on` lines name the link-local addresses on port 80."""
    ns, emu = on_link_local
    assert sorted(emu.urls) == sorted([f"http://{IMDS_V4}:80/", f"http://[{IMDS_V6}]:80/"]) or \
        sorted(emu.urls) == sorted([V4_BASE, V6_BASE]), emu.urls
    v4 = ns_imds_credentials(ns, V4_BASE)
    v6 = ns_imds_credentials(ns, V6_BASE)
    assert v4 == v6, "the two listeners serve different credential sets"


def test_boto3_default_chain_without_endpoint_variable(on_link_local):
    """boto3 with no endpoint variable goes to 169.254.169.254:80 and gets the served set over IMDSv2."""
    ns, emu = on_link_local
    r = ns.python(BOTO_DEFAULT_CHAIN)
    assert r.returncode == 0, r.stderr
    got = last_json_line(r.stdout)
    assert "error" not in got, f"{got}\n{r.stderr}"
    served = ns_imds_credentials(ns, V4_BASE, ROLE)
    assert got["method"] == "iam-role", got
    assert (got["access_key"], got["secret_key"], got["token"]) == (
        served["AccessKeyId"], served["SecretAccessKey"], served["Token"])
    recs = client_records(emu, "otocore", CREDS_PATH + ROLE)
    assert recs and all(x["status"] == 200 and x["imds_version"] == "v2" for x in recs), recs
    puts = client_records(emu, "otocore", "/latest/api/token")
    assert puts and all(x["status"] == 200 for x in puts), puts
    assert ipaddress.ip_address(recs[-1]["client"]).version == 4, recs[-1]


def test_aws_cli_v1_without_endpoint_variable(on_link_local, aws_cli):
    """`python -m awscli configure list` shows an iam-role key ending in the served key's last 4."""
    ns, emu = on_link_local
    r = ns.run([*aws_cli, "configure", "list"], timeout=90)
    assert r.returncode == 0, f"{r.returncode}\n{r.stdout}\n{r.stderr}"
    served = ns_imds_credentials(ns, V4_BASE, ROLE)
    rows = [line.split() for line in r.stdout.splitlines()]
    key_rows = [row for row in rows if row and row[0] == "access_key"]
    assert key_rows, r.stdout
    assert key_rows[0][1].endswith(served["AccessKeyId"][-4:]), r.stdout
    assert "iam-role" in key_rows[0], r.stdout
    recs = client_records(emu, "aws-cli/1", CREDS_PATH + ROLE)
    assert recs and recs[-1]["status"] == 200 and recs[-1]["imds_version"] == "v2", recs
    assert recs[-1]["access_key_id"] == served["AccessKeyId"], recs[-1]


@pytest.mark.skipif(DEBIAN_V2_SKIP is not None, reason=str(DEBIAN_V2_SKIP))
def test_aws_cli_v2_without_endpoint_variable(on_link_local):
    """/usr/bin/aws (v2) `configure export-credentials` prints exactly the served credentials."""
    ns, emu = on_link_local
    r = ns.run(["/usr/bin/aws", "configure", "export-credentials", "--format", "process"],
               timeout=90)
    assert r.returncode == 0, f"{r.returncode}\n{r.stdout}\n{r.stderr}"
    doc = json.loads(r.stdout)
    served = ns_imds_credentials(ns, V4_BASE, ROLE)
    assert doc["AccessKeyId"] == served["AccessKeyId"]
    assert doc["SecretAccessKey"] == served["SecretAccessKey"]
    assert doc["SessionToken"] == served["Token"]
    r = ns.run(["/usr/bin/aws", "configure", "list"], timeout=90)
    assert r.returncode == 0, r.stderr
    assert "iam-role" in r.stdout and served["AccessKeyId"][-4:] in r.stdout, r.stdout
    recs = client_records(emu, "aws-cli/2", CREDS_PATH + ROLE)
    assert recs and recs[-1]["status"] == 200 and recs[-1]["imds_version"] == "v2", recs


def test_curl_over_ipv6(on_link_local):
    """curl -g PUT/GET on http://[fd00:ec2::254]/ gets a token, the role and the credentials."""
    ns, emu = on_link_local
    r = ns.curl("-g", "-X", "PUT", f"{V6_BASE}latest/api/token", "-H", f"{TTL_HEADER}: 21600",
                "-w", "\n%{http_code}")
    assert r.returncode == 0, r.stderr
    token, code = r.stdout.rsplit("\n", 1)
    assert code == "200" and TOKEN_RE.match(token), r.stdout
    r = ns.curl("-g", "-H", f"X-aws-ec2-metadata-token: {token}", "-w", "\n%{http_code}",
                f"{V6_BASE}latest/meta-data/iam/security-credentials/")
    role, code = r.stdout.rsplit("\n", 1)
    assert (code, role) == ("200", ROLE), r.stdout
    r = ns.curl("-g", "-f", "-H", f"X-aws-ec2-metadata-token: {token}",
                f"{V6_BASE}latest/meta-data/iam/security-credentials/{role}")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["AccessKeyId"] == ns_imds_credentials(ns, V4_BASE, ROLE)["AccessKeyId"]
    curl_recs = client_records(emu, "curl/")
    assert curl_recs and all(ipaddress.ip_address(x["client"]).version == 6 for x in curl_recs), \
        curl_recs


def test_boto3_ipv6_endpoint_mode(on_link_local):
    """AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6: boto3 uses [fd00:ec2::254] and the log shows an IPv6 client."""
    ns, emu = on_link_local
    r = ns.python(BOTO_DEFAULT_CHAIN, extra_env={"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"})
    assert r.returncode == 0, r.stderr
    got = last_json_line(r.stdout)
    assert "error" not in got, f"{got}\n{r.stderr}"
    served = ns_imds_credentials(ns, V6_BASE, ROLE)
    assert got["method"] == "iam-role"
    assert got["access_key"] == served["AccessKeyId"]
    recs = client_records(emu, "otocore")
    assert recs, emu.access_log_text()
    for rec in recs:
        addr = ipaddress.ip_address(rec["client"])
        assert addr.version == 6 and addr.ipv4_mapped is None, rec
    assert [x for x in recs if x["path"] == CREDS_PATH + ROLE and x["status"] == 200], recs
