"""Wire-level behaviour of the emulator: tokens, framing, routing, documents, configuration.

Requests are written byte by byte (imds_helpers.build_request) so that nothing normalises them.
References (§) are to docs/imds-behaviour.md.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest

from imds_helpers import (
    CREDS_PATH, ISO_Z_RE, TOKEN_PATH, TOKEN_RE, TTL_HEADER, assert_error_page,
    assert_imds_framing, build_request, exchange, fetch_credentials, get, get_ok, get_token,
    http_date_to_epoch, iso_to_epoch, parse_credential_doc, put_token, read_until_close, request,
    tamper,
)

MD = "/latest/meta-data/"


@pytest.fixture(scope="module")
def imds(module_emulator):
    """One default emulator (tokens required, default role) shared by read-only tests."""
    return module_emulator()


@pytest.fixture(scope="module")
def token(imds):
    return get_token(imds)


# =========================================================================== token PUT


def test_token_put_response_shape(imds):
    """§1.2/§2.1: 200, bare 56-char token, TTL echoed, text/plain, IMDS framing, connection closed."""
    r = put_token(imds, 21600)  # exchange() reads until EOF: it fails if the server keeps the socket
    assert r.status == 200, r
    assert r.body == r.body.strip(), "token body carries whitespace/newline"
    assert TOKEN_RE.match(r.text), f"token {r.text!r} is not 56 chars of URL-safe base64 ending =="
    assert r.header("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "21600", r
    assert r.header("Content-Type") == "text/plain", r
    assert r.header("Content-Length") == "56", r
    assert_imds_framing(r)


def test_token_put_closes_connection_right_after_response(imds):
    """§1.2: no keep-alive — even when the client asks for it, EOF follows the body at once."""
    data = build_request("PUT", TOKEN_PATH, imds.host, imds.port,
                         [(TTL_HEADER, "21600"), ("Connection", "keep-alive")])
    with socket.create_connection((imds.host, imds.port), timeout=5) as s:
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf or len(buf.partition(b"\r\n\r\n")[2]) < 56:
            chunk = s.recv(4096)
            assert chunk, f"connection closed early: {buf!r}"
            buf += chunk
        s.settimeout(2)
        t0 = time.monotonic()
        rest = s.recv(4096)
        assert rest == b"", f"unexpected bytes after the response: {rest!r}"
        assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("name", [
    "x-aws-ec2-metadata-token-ttl-seconds",   # botocore, JS, Java, CRT
    "X-Aws-Ec2-Metadata-Token-Ttl-Seconds",   # Go canonical form
    "X-AWS-EC2-METADATA-TOKEN-TTL-SECONDS",
])
def test_token_ttl_header_name_is_case_insensitive(imds, name):
    """§2.1/rule 8: the TTL header is recognised whatever its case."""
    r = put_token(imds, 300, header_name=name)
    assert r.status == 200, r
    assert TOKEN_RE.match(r.text)
    assert r.header(TTL_HEADER) == "300"


@pytest.mark.parametrize("ttl", [1, 21600])
def test_token_ttl_bounds_are_accepted(imds, ttl):
    """§2.1: TTL 1 and 21600 are valid and granted exactly as requested."""
    r = put_token(imds, ttl)
    assert r.status == 200, r
    assert r.header(TTL_HEADER) == str(ttl)


@pytest.mark.parametrize("ttl", [None, "abc", "0", "-5", "21601", "1.5"])
def test_token_invalid_ttl_is_400(imds, ttl):
    """§2.1/rule 3: missing, non-integer or out-of-range TTL → 400 XHTML page."""
    r = put_token(imds, ttl)
    assert_error_page(r, 400, "Bad Request")


def test_token_put_with_x_forwarded_for_is_403(imds):
    """§2.1/rule 4: a PUT carrying X-Forwarded-For is refused with 403."""
    r = put_token(imds, 21600, extra=[("X-Forwarded-For", "10.0.0.7")])
    assert_error_page(r, 403, "Forbidden")


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_token_path_other_methods_are_405(imds, method):
    """§2.1: other methods on the token path → 405, Allow: OPTIONS, PUT, empty text/plain body."""
    headers = [(TTL_HEADER, "21600")]
    if method == "POST":
        headers.append(("Content-Length", "0"))
    r = request(imds, method, TOKEN_PATH, headers)
    assert r.status == 405, r
    assert r.header("Allow") == "OPTIONS, PUT", r
    assert r.body == b""
    assert r.header("Content-Type") == "text/plain", r
    assert_imds_framing(r)


def test_token_path_with_trailing_slash_is_403(imds):
    """The token resource does not exist with a trailing slash: PUT /latest/api/token/ → 403."""
    r = request(imds, "PUT", TOKEN_PATH + "/", [(TTL_HEADER, "21600")])
    assert r.status == 403, r


@pytest.mark.parametrize("body_kind", ["none", "content-length-0", "empty-chunked"])
def test_token_put_body_variants_are_accepted(imds, body_kind):
    """Rule 8: PUT with no body, Content-Length: 0 or an empty chunked body → 200."""
    headers = [(TTL_HEADER, "21600")]
    body = b""
    if body_kind == "content-length-0":
        headers.append(("Content-Length", "0"))
    elif body_kind == "empty-chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        body = b"0\r\n\r\n"
    data = build_request("PUT", TOKEN_PATH, imds.host, imds.port, headers, body)
    r = exchange(imds.host, imds.port, data)
    assert r.status == 200, r
    assert TOKEN_RE.match(r.text)


# =========================================================================== using tokens


@pytest.mark.parametrize("ttl", [21600, 300])
def test_token_get_reports_seconds_left(imds, ttl):
    """§2.2/rule 6: a token GET is 200 text/plain with the token's remaining seconds."""
    tok = get_token(imds, ttl)
    r = get(imds, MD + "instance-id", tok)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain", r
    left = r.header(TTL_HEADER)
    assert left is not None and left.isdigit(), r
    assert ttl - 5 < int(left) <= ttl, f"remaining {left} for a fresh {ttl}s token"
    assert_imds_framing(r)


@pytest.mark.parametrize("name", ["x-aws-ec2-metadata-token", "X-Aws-Ec2-Metadata-Token"])
def test_token_header_name_is_case_insensitive(imds, token, name):
    """Rule 8: the token header is recognised in lower-case and Go-canonical form."""
    r = get(imds, MD + "instance-id", headers=[(name, token)])
    assert r.status == 200, r


def test_short_token_expires(imds):
    """Rule 5: a TTL-1 token works at once and is rejected with 401 after it ran out."""
    tok = get_token(imds, 1)
    r = get(imds, MD + "instance-id", tok)
    assert r.status == 200, r
    assert r.header(TTL_HEADER) in ("0", "1"), r
    time.sleep(2.5)
    assert_error_page(get(imds, MD + "instance-id", tok), 401, "Unauthorized")


def test_malformed_token_is_401(imds):
    """Rule 5: a malformed token → 401 XHTML page."""
    assert_error_page(get(imds, MD + "instance-id", "abc"), 401, "Unauthorized")


@pytest.mark.parametrize("index", [5, 20, 40])
def test_tampered_token_is_401(imds, token, index):
    """Rule 5: a token with one character changed is not accepted."""
    bad = tamper(token, index)
    assert bad != token
    assert_error_page(get(imds, MD + "instance-id", bad), 401, "Unauthorized")


def test_token_from_another_emulator_is_401(imds, emulator):
    """Tokens are bound to their instance: a second emulator process rejects them."""
    other = emulator()
    foreign = get_token(other)
    assert get(other, MD + "instance-id", foreign).status == 200
    assert_error_page(get(imds, MD + "instance-id", foreign), 401, "Unauthorized")


def test_tokenless_get_is_401_by_default(imds):
    """Default (IMDSv1 disabled, tokens required): a GET without a token → 401."""
    assert_error_page(get(imds, MD + "instance-id"), 401, "Unauthorized")


def test_tokenless_get_is_401_with_imdsv1_disabled(emulator):
    """`--imdsv1 disabled` spelled out behaves like the default."""
    emu = emulator("--imdsv1", "disabled")
    assert_error_page(get(emu, MD + "instance-id"), 401, "Unauthorized")


def test_imdsv1_enabled(emulator):
    """§2.2: with tokens optional a tokenless GET is served (no TTL header); bad tokens still 401."""
    emu = emulator("--imdsv1", "enabled")
    r = get(emu, MD + "instance-id")
    assert r.status == 200, r
    assert r.header(TTL_HEADER) is None, r
    assert re.match(r"^i-[0-9a-f]{17}$", r.text), r.text
    tok = get_token(emu)
    r2 = get(emu, MD + "instance-id", tok)
    assert r2.status == 200 and r2.text == r.text
    assert r2.header(TTL_HEADER) is not None
    assert_error_page(get(emu, MD + "instance-id", "abc"), 401, "Unauthorized")
    assert_error_page(get(emu, MD + "instance-id", tamper(tok)), 401, "Unauthorized")


# =========================================================================== metadata tree


def listing(text: str) -> list:
    assert not text.endswith("\n"), f"listing ends with a newline: {text!r}"
    entries = text.split("\n")
    assert all(e and e == e.strip() for e in entries), f"empty or padded entries in {text!r}"
    return entries


def test_root_lists_versions(imds, token):
    """§1.5: GET / lists API versions one per line, with latest and cloud-init's dated versions."""
    r = get(imds, "/", token)
    assert r.status == 200, r
    versions = listing(r.text)
    for v in ("latest", "2009-04-04", "2016-09-02", "2018-09-24", "2021-03-23"):
        assert v in versions, f"{v} missing from {versions}"


def test_latest_lists_dynamic_and_meta_data(imds, token):
    """§1.5: /latest/ lists dynamic and meta-data (user-data only when configured)."""
    assert listing(get_ok(imds, "/latest/", token)) == ["dynamic", "meta-data"]


def test_meta_data_listing(imds, token):
    """§1.4: alphabetical, directories end in '/', no trailing newline, the common entries exist."""
    entries = listing(get_ok(imds, MD, token))
    assert entries == sorted(entries, key=lambda e: e.rstrip("/")), entries
    assert len(entries) == len(set(entries))
    for e in ("ami-id", "hostname", "iam/", "instance-id", "instance-type", "local-hostname",
              "local-ipv4", "mac", "placement/", "services/"):
        assert e in entries, f"{e} missing from {entries}"
    assert "tags/" not in entries, "tags/ listed although no tags are configured"


# Leaves that may legitimately be listed yet answer 404 (events not scheduled).
_MAY_BE_404 = {"spot/instance-action", "spot/termination-time", "events/recommendations/rebalance"}


def test_meta_data_tree_is_consistent(imds, token):
    """Every listed entry is served: directories as listings, leaves without trailing newline."""
    pending = [""]
    seen = 0
    while pending:
        d = pending.pop()
        entries = listing(get_ok(imds, MD + d, token))
        for e in entries:
            seen += 1
            assert seen < 400, "metadata tree unexpectedly large"
            if "=" in e and d.endswith("public-keys/"):
                pending.append(d + e.split("=", 1)[0] + "/")
            elif e.endswith("/"):
                pending.append(d + e)
            else:
                r = get(imds, MD + d + e, token)
                if r.status == 404 and (d + e) in _MAY_BE_404:
                    continue
                assert r.status == 200, f"{MD + d + e} listed but answered {r!r}"
                if not (d + e).startswith("public-keys/"):  # openssh-key format is unverified
                    assert r.body == r.body.rstrip(), f"{d + e} ends with whitespace: {r.body!r}"


def test_leaf_values_have_no_trailing_newline(imds, token):
    """§1.4: e.g. placement/region is exactly the region name."""
    for leaf in ("instance-id", "instance-type", "ami-id", "local-ipv4", "mac", "hostname",
                 "local-hostname", "placement/region", "placement/availability-zone"):
        body = get_ok(imds, MD + leaf, token)
        assert body and body == body.strip(), f"{leaf}: {body!r}"
    assert re.match(r"^i-[0-9a-f]{17}$", get_ok(imds, MD + "instance-id", token))
    assert re.match(r"^\d{1,3}(\.\d{1,3}){3}$", get_ok(imds, MD + "local-ipv4", token))


def test_placement_and_services(imds, token):
    """§3.3/rule 16: AZ = region + one letter; AZ id exists; services domain and partition."""
    az = get_ok(imds, MD + "placement/availability-zone", token)
    region = get_ok(imds, MD + "placement/region", token)
    assert az[:-1] == region and az[-1].isalpha(), (az, region)
    assert get_ok(imds, MD + "placement/availability-zone-id", token)
    assert get_ok(imds, MD + "services/domain", token) == "amazonaws.com"
    assert get_ok(imds, MD + "services/partition", token) == "aws"


@pytest.mark.parametrize("directory", ["placement", "iam/security-credentials", "iam", ""])
def test_directory_without_slash_is_served(imds, token, directory):
    """§1.2/§1.5/rule 9: a directory without its slash gets the same 200 listing as with it,
    never a redirect (the Rust SDK asks for iam/security-credentials without the slash)."""
    path = (MD + directory).rstrip("/")
    r = get(imds, path, token)
    assert r.status == 200, r
    assert r.header("Location") is None
    assert r.text and r.text == get_ok(imds, path + "/", token)
    assert r.header("Content-Type") == "text/plain"
    assert_imds_framing(r)


def test_bare_version_is_served(imds, token):
    """/latest without its slash lists the version's parts like /latest/."""
    r = get(imds, "/latest", token)
    assert r.status == 200, r
    assert r.text == get_ok(imds, "/latest/", token)
    assert "meta-data" in r.text.split("\n")


def test_doubled_slashes_are_collapsed(imds, token):
    """§1.5: /latest//meta-data//instance-id is the same resource."""
    normal = get_ok(imds, MD + "instance-id", token)
    r = get(imds, "/latest//meta-data//instance-id", token)
    assert r.status == 200, r
    assert r.text == normal


def test_leaf_with_trailing_slash(imds, token):
    """§1.5: botocore reads placement/availability-zone/ with a slash; served normally."""
    normal = get_ok(imds, MD + "placement/availability-zone", token)
    r = get(imds, MD + "placement/availability-zone/", token)
    assert r.status == 200, r
    assert r.text == normal


@pytest.mark.parametrize("version", ["2009-04-04", "2016-09-02", "2018-09-24", "2021-03-23"])
def test_dated_versions_alias_latest(imds, token, version):
    """§1.5/rule 9: dated API versions serve the same tree as latest."""
    normal = get_ok(imds, MD + "instance-id", token)
    assert get_ok(imds, f"/{version}/meta-data/instance-id", token) == normal


@pytest.mark.parametrize("path", ["/latest/meta-data/nope", "/1999-01-01/meta-data/",
                                  "/latest/meta-data/placement/nope"])
def test_unknown_paths_are_404(imds, token, path):
    """§1.5: unknown paths and versions → 404 XHTML page."""
    r = get(imds, path, token)
    assert_error_page(r, 404, "Not Found")
    assert_imds_framing(r)


# =========================================================================== credentials


def test_role_listing_default(imds, token):
    """Rule 10: security-credentials/ is exactly the role name, no newline."""
    r = get(imds, CREDS_PATH, token)
    assert r.status == 200, r
    assert r.body == b"imds-emulator"
    assert r.header("Content-Type") == "text/plain"


def test_role_flag(emulator):
    """--role changes the role listed and served."""
    emu = emulator("--role", "my-role")
    tok = get_token(emu)
    assert get_ok(emu, CREDS_PATH, tok) == "my-role"
    assert get(emu, CREDS_PATH + "my-role", tok).status == 200
    assert get(emu, CREDS_PATH + "imds-emulator", tok).status == 404


def test_credential_document(imds, token):
    """§3.1/rule 11: IMDS layout, member order, formats, text/plain, 6 h default lifetime."""
    r = get(imds, CREDS_PATH + "imds-emulator", token)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain"
    assert r.text.startswith('{\n  "Code" : "Success",\n  "LastUpdated" : "'), r.text[:80]
    doc = parse_credential_doc(r.text)
    assert doc["Code"] == "Success" and doc["Type"] == "AWS-HMAC"
    lu, exp = iso_to_epoch(doc["LastUpdated"]), iso_to_epoch(doc["Expiration"])
    assert exp - lu == 6 * 3600, (doc["LastUpdated"], doc["Expiration"])
    assert abs(lu - time.time()) < 3700, "LastUpdated is not recent"
    assert exp > time.time() + 5 * 3600


def test_credential_lifetime_flag(emulator):
    """--credential-lifetime 2h gives Expiration − LastUpdated == 2 h."""
    emu = emulator("--credential-lifetime", "2h", "--rotate-before", "30m")
    doc = fetch_credentials(emu)
    assert iso_to_epoch(doc["Expiration"]) - iso_to_epoch(doc["LastUpdated"]) == 2 * 3600, doc


def test_credentials_stable_between_rotations(imds, token):
    """§4: repeated fetches between rotations return the identical document."""
    a = get(imds, CREDS_PATH + "imds-emulator", token)
    b = get(imds, CREDS_PATH + "imds-emulator", get_token(imds))
    assert a.status == b.status == 200
    assert a.body == b.body


def test_wrong_role_is_404(imds, token):
    """§3.1: a role name other than the served one → 404."""
    assert_error_page(get(imds, CREDS_PATH + "other-role", token), 404, "Not Found")


def test_iam_info(imds, token):
    """§3.1/rule 14: iam/info members and formats; Last-Modified equals LastUpdated."""
    r = get(imds, MD + "iam/info", token)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain"
    info = json.loads(r.text)
    assert set(info) == {"Code", "LastUpdated", "InstanceProfileArn", "InstanceProfileId"}, info
    assert info["Code"] == "Success"
    assert ISO_Z_RE.match(info["LastUpdated"]), info
    assert re.match(r"^arn:aws:iam::\d{12}:instance-profile/imds-emulator$",
                    info["InstanceProfileArn"]), info
    assert re.match(r"^AIPA[A-Z0-9]{17}$", info["InstanceProfileId"]), info
    lm = r.header("Last-Modified")
    assert lm, r
    assert http_date_to_epoch(lm) == iso_to_epoch(info["LastUpdated"]), (lm, info["LastUpdated"])


IDENTITY_KEYS = {"accountId", "architecture", "availabilityZone", "billingProducts",
                 "devpayProductCodes", "marketplaceProductCodes", "imageId", "instanceId",
                 "instanceType", "kernelId", "pendingTime", "privateIp", "ramdiskId", "region",
                 "version"}


def test_identity_document(imds, token):
    """§3.3/rule 16: exact member set, consistent with placement, instance and iam/info."""
    r = get(imds, "/latest/dynamic/instance-identity/document", token)
    assert r.status == 200, r
    assert r.header("Content-Type") == "text/plain"
    doc = json.loads(r.text)
    assert set(doc) == IDENTITY_KEYS, sorted(doc)
    assert doc["region"] == get_ok(imds, MD + "placement/region", token)
    assert doc["availabilityZone"] == get_ok(imds, MD + "placement/availability-zone", token)
    assert doc["instanceId"] == get_ok(imds, MD + "instance-id", token)
    assert doc["instanceType"] == get_ok(imds, MD + "instance-type", token)
    assert doc["imageId"] == get_ok(imds, MD + "ami-id", token)
    assert doc["privateIp"] == get_ok(imds, MD + "local-ipv4", token)
    assert doc["architecture"] in ("i386", "x86_64", "arm64")
    assert doc["version"] == "2017-09-30"
    assert re.match(r"^\d{12}$", doc["accountId"])
    arn = json.loads(get_ok(imds, MD + "iam/info", token))["InstanceProfileArn"]
    assert arn.split(":")[4] == doc["accountId"], (arn, doc["accountId"])


# =========================================================================== configuration file

CONFIG_WITH_TAGS = """\
instance:
  region: eu-west-1
  availability-zone: eu-west-1b
  account-id: "210987654321"
  tags:
    Name: web
    team: core
role: from-file
"""


def test_config_file_sets_instance_values(emulator, tmp_path):
    """--config: region, AZ, account, tags and role come from the YAML file."""
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(CONFIG_WITH_TAGS)
    emu = emulator("--config", str(cfg))
    tok = get_token(emu)
    assert get_ok(emu, MD + "placement/region", tok) == "eu-west-1"
    assert get_ok(emu, MD + "placement/availability-zone", tok) == "eu-west-1b"
    doc = json.loads(get_ok(emu, "/latest/dynamic/instance-identity/document", tok))
    assert (doc["region"], doc["availabilityZone"], doc["accountId"]) == \
        ("eu-west-1", "eu-west-1b", "210987654321")
    assert get_ok(emu, CREDS_PATH, tok) == "from-file"
    parse_credential_doc(get_ok(emu, CREDS_PATH + "from-file", tok))
    info = json.loads(get_ok(emu, MD + "iam/info", tok))
    assert info["InstanceProfileArn"] == "arn:aws:iam::210987654321:instance-profile/from-file"
    assert "tags/" in listing(get_ok(emu, MD, tok))
    tags = get_ok(emu, MD + "tags/instance/", tok)
    assert not tags.endswith("\n")
    assert sorted(tags.split("\n")) == ["Name", "team"], tags
    assert get_ok(emu, MD + "tags/instance/Name", tok) == "web"
    assert get_ok(emu, MD + "tags/instance/team", tok) == "core"


def test_no_tags_means_no_tags_tree(imds, token):
    """§3.3: without tags, tags/ is not listed and tags/instance/ → 404."""
    assert "tags/" not in listing(get_ok(imds, MD, token))
    assert_error_page(get(imds, MD + "tags/instance/", token), 404, "Not Found")


def test_flag_overrides_config_file(emulator, tmp_path):
    """Flags win over the file: --role flag-role beats role: from-file."""
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(CONFIG_WITH_TAGS)
    emu = emulator("--config", str(cfg), "--role", "flag-role")
    tok = get_token(emu)
    assert get_ok(emu, CREDS_PATH, tok) == "flag-role"
    assert get_ok(emu, MD + "placement/region", tok) == "eu-west-1"


# =========================================================================== concurrency


def test_300_simultaneous_token_requests(emulator):
    """300 connections opened first, then each sends a token PUT: every one gets 200."""
    emu = emulator()
    n = 300
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((emu.host, emu.port), timeout=10)
            s.settimeout(20)
            socks.append(s)
        data = build_request("PUT", TOKEN_PATH, emu.host, emu.port, [(TTL_HEADER, "21600")])
        results = [None] * n
        barrier = threading.Barrier(n, timeout=30)

        def worker(i):
            try:
                barrier.wait()
                socks[i].sendall(data)
                results[i] = read_until_close(socks[i], timeout=20)
            except Exception as e:  # noqa: BLE001 - reported below
                results[i] = e

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "some requests never finished"
        bad = [r for r in results if not (hasattr(r, "status") and r.status == 200)]
        assert not bad, f"{len(bad)} of {n} failed, e.g. {bad[:3]!r}"
        tokens = {r.text for r in results}
        assert len(tokens) == n, "tokens are not unique"
        assert all(TOKEN_RE.match(t) for t in tokens)
    finally:
        for s in socks:
            s.close()
    assert emu.running
