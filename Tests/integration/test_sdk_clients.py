"""Real AWS clients (boto3/botocore in process, the AWS CLI as a subprocess) against the emulator.

All clients run with a temporary HOME, no AWS_* or proxy variables from the caller and only
fake, emulator-minted keys; signed requests go to a capture server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import pytest

from imds_helpers import (
    CREDS_PATH, TEST_UA, fetch_credentials, get_ok, get_token, iso_to_epoch, parse_credential_doc,
    debian_aws_v2_skip_reason, signing_key_id, wait_until,
)

ROLE = "imds-emulator"
CRED_DOC_PATH = CREDS_PATH + ROLE
MODES = ["disabled", "enabled"]


DEBIAN_V2_SKIP = debian_aws_v2_skip_reason()


def sdk_records(emu, path=None) -> list:
    """Access-log records that did not come from this test's own raw requests."""
    return [r for r in emu.access_records()
            if r.get("user_agent") != TEST_UA and (path is None or r.get("path") == path)]


def assert_client_used_imdsv2(emu, ua_marker: str, access_key: str) -> None:
    """The client PUT a token, and its role listing and credential GET were served as v2."""
    wait_until(lambda: [r for r in sdk_records(emu, CRED_DOC_PATH) if ua_marker in r["user_agent"]],
               what=f"{ua_marker} credential GET in the access log")
    mine = [r for r in sdk_records(emu) if ua_marker in r["user_agent"]]
    puts = [r for r in mine if r["method"] == "PUT" and r["path"] == "/latest/api/token"]
    assert puts and all(r["status"] == 200 for r in puts), mine
    cred = [r for r in mine if r["method"] == "GET" and r["path"] == CRED_DOC_PATH]
    assert cred, mine
    assert all(r["status"] == 200 and r["imds_version"] == "v2" for r in cred), cred
    assert cred[-1]["access_key_id"] == access_key, cred
    assert cred[-1]["role"] == ROLE, cred
    listings = [r for r in mine if r["method"] == "GET" and r["path"] == CREDS_PATH]
    assert listings and all(r["imds_version"] == "v2" for r in listings), mine
    assert not [r for r in mine if r["imds_version"] == "v1"], "client fell back to IMDSv1"


# =========================================================================== boto3 default chain


@pytest.mark.parametrize("mode", MODES)
def test_boto3_default_chain_gets_served_credentials(emulator, aws_env, mode):
    """boto3's default chain finds the emulator via the endpoint variable and uses IMDSv2."""
    import boto3

    emu = emulator("--imdsv1", mode)
    aws_env(emu.url)
    creds = boto3.Session().get_credentials()
    assert creds is not None, "boto3 found no credentials"
    assert creds.method == "iam-role"
    frozen = creds.get_frozen_credentials()
    served = fetch_credentials(emu, ROLE)
    assert frozen.access_key == served["AccessKeyId"]
    assert frozen.secret_key == served["SecretAccessKey"]
    assert frozen.token == served["Token"]
    assert_client_used_imdsv2(emu, "otocore", served["AccessKeyId"])


# =========================================================================== AWS CLI signing


def run_cli_against_capture(run_client, cli: list, emu, capture_sts, endpoint_url: str):
    r = run_client(cli + ["sts", "get-caller-identity", "--endpoint-url", endpoint_url,
                          "--region", "us-east-1", "--output", "json"], endpoint=emu.url, timeout=90)
    assert r.returncode == 0, f"aws exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    out = json.loads(r.stdout)
    assert out["Account"] == "123456789012", out
    assert capture_sts.captured, "the CLI sent nothing to the capture server"
    return capture_sts.captured[-1]


@pytest.mark.parametrize("mode", MODES)
def test_aws_cli_v1_signs_with_served_credentials(emulator, run_client, aws_cli, capture_sts, mode):
    """The pip AWS CLI signs GetCallerIdentity with exactly the credentials the emulator serves."""
    emu = emulator("--imdsv1", mode)
    cap = run_cli_against_capture(run_client, aws_cli, emu, capture_sts, capture_sts.url)
    served = fetch_credentials(emu, ROLE)
    assert cap["authorization"].startswith("AWS4-HMAC-SHA256 "), cap
    assert signing_key_id(cap["authorization"]) == served["AccessKeyId"]
    assert cap["security_token"] == served["Token"]
    assert_client_used_imdsv2(emu, "aws-cli/", served["AccessKeyId"])


@pytest.mark.skipif(DEBIAN_V2_SKIP is not None, reason=DEBIAN_V2_SKIP or "")
@pytest.mark.parametrize("mode", MODES)
def test_debian_aws_cli_v2_signs_with_served_credentials(emulator, run_client, capture_sts, mode):
    """Debian's CLI v2 (needs the trailing '/' on the endpoint) signs with the served credentials."""
    emu = emulator("--imdsv1", mode)
    assert emu.url.endswith("/")
    cap = run_cli_against_capture(run_client, ["/usr/bin/aws"], emu, capture_sts, capture_sts.url)
    served = fetch_credentials(emu, ROLE)
    assert signing_key_id(cap["authorization"]) == served["AccessKeyId"]
    assert cap["security_token"] == served["Token"]
    assert_client_used_imdsv2(emu, "aws-cli/2", served["AccessKeyId"])


# =========================================================================== rotation


def test_cli_runs_sign_with_the_key_published_at_the_time(emulator, run_client, aws_cli,
                                                          capture_sts):
    """With a new set every 3 s, two CLI runs > 3 s apart sign with different, current keys."""
    emu = emulator("--credential-lifetime", "6h", "--rotate-every", "3s")
    signed = []
    for i in range(2):
        if i:
            time.sleep(4)
        before = fetch_credentials(emu, ROLE)["AccessKeyId"]
        n_before = len(emu.access_records())
        cap = run_cli_against_capture(run_client, aws_cli, emu, capture_sts, capture_sts.url)
        after = fetch_credentials(emu, ROLE)["AccessKeyId"]
        key = signing_key_id(cap["authorization"])
        cli_cred = wait_until(
            lambda: [r for r in emu.access_records()[n_before:]
                     if r["path"] == CRED_DOC_PATH and "aws-cli/" in r["user_agent"]],
            what="the CLI's credential GET in the access log")
        assert key == cli_cred[-1]["access_key_id"], (key, cli_cred)
        assert key in (before, after), (key, before, after)
        signed.append(key)
    assert signed[0] != signed[1], "the second run signed with the first run's (rotated) key"


def test_long_lived_botocore_session_follows_rotation(emulator, aws_env):
    """botocore's real refresh path picks up each newly published key, never an unknown one."""
    import botocore.session

    emu = emulator("--credential-lifetime", "6h", "--rotate-every", "3s")
    aws_env(emu.url)
    creds = botocore.session.Session().get_credentials()
    assert creds is not None and creds.method == "iam-role"
    # < 7 h left on every set, so each access takes botocore's refresh path (an IMDS fetch).
    creds._mandatory_refresh_timeout = creds._advisory_refresh_timeout = 7 * 3600
    seen = []
    end = time.monotonic() + 8
    while time.monotonic() < end:
        frozen = creds.get_frozen_credentials()
        seen.append(frozen.access_key)
        expiry = creds._expiry_time
        assert expiry > datetime.now(timezone.utc), f"botocore holds expired credentials ({expiry})"
        time.sleep(0.5)
    changes = sum(1 for a, b in zip(seen, seen[1:]) if a != b)
    assert changes >= 2, f"access key changed {changes} times over 8 s: {seen}"
    published = {r.get("access_key_id") for r in emu.access_records()
                 if r.get("path") == CRED_DOC_PATH and r.get("status") == 200}
    unknown = set(seen) - published
    assert not unknown, f"botocore used keys the server never published: {unknown}"


def test_short_lifetime_is_never_served_stale_and_warns(emulator):
    """Sub-15-minute lifetimes are allowed with a warning; served sets always have time left."""
    emu = emulator("--credential-lifetime", "20s", "--rotate-every", "2s", "--rotate-before", "5s")
    wait_until(lambda: re.search(r"15\s*(m\b|min)", emu.stderr_text(), re.I), timeout=3,
               what="a stderr warning mentioning 15 minutes")
    tok = get_token(emu)
    keys = set()
    end = time.monotonic() + 6
    while time.monotonic() < end:
        doc = parse_credential_doc(get_ok(emu, CRED_DOC_PATH, tok))
        now = time.time()
        assert iso_to_epoch(doc["Expiration"]) > now + 4, (doc["Expiration"], now)
        assert iso_to_epoch(doc["Expiration"]) - iso_to_epoch(doc["LastUpdated"]) == 20
        keys.add(doc["AccessKeyId"])
        time.sleep(0.25)
    assert len(keys) >= 2, "no rotation observed with --rotate-every 2s over 6 s"
