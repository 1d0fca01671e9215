"""Writes sigv4-vectors.json: SigV4 signatures computed by botocore's own signer.

The Swift tests sign the same requests with our signer and must produce the same
Authorization header. Tests/integration/test_sigv4_vectors.py runs this again and checks the
committed file still matches what the installed botocore computes.

    python3 Tests/CredentialSourcesTests/Fixtures/make_sigv4_vectors.py > Tests/CredentialSourcesTests/Fixtures/sigv4-vectors.json
"""

import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FORM = "application/x-www-form-urlencoded; charset=utf-8"
KEYS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
SESSION = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+token/with=chars"

CASES = [
    dict(name="assume-role", method="POST", url="https://sts.us-east-1.amazonaws.com/", region="us-east-1",
         service="sts", time="2026-11-21T22:30:00Z", token=None, headers=[("Content-Type", FORM)],
         body="Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ftest-role"
              "&RoleSessionName=imds-emulator-host&DurationSeconds=3600"),
    dict(name="assume-role-session-token", method="POST", url="https://sts.eu-west-1.amazonaws.com/",
         region="eu-west-1", service="sts", time="2026-02-28T23:59:59Z", token=SESSION,
         headers=[("Content-Type", FORM)],
         body="Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fpath%2Fr"
              "&RoleSessionName=s%40x&DurationSeconds=900&ExternalId=ext-1%2B2"),
    dict(name="get-session-token-port", method="POST", url="http://127.0.0.1:45111/", region="us-east-1",
         service="sts", time="2026-01-01T00:00:00Z", token=None, headers=[("Content-Type", FORM)],
         body="Action=GetSessionToken&Version=2011-06-15&DurationSeconds=3600"),
    dict(name="get-with-query", method="GET", url="https://example.amazonaws.com/a%20b/c~d?b=2&a=1&a=0&x=y%2Fz",
         region="us-west-2", service="service", time="2025-07-04T12:00:00Z", token=None,
         headers=[("X-Amz-Meta", "  spaced   value  ")], body=""),
]


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode(),
                         headers=dict(case["headers"]))
    creds = Credentials(KEYS[0], KEYS[1], case["token"])
    now = datetime.datetime.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        botocore.auth.SigV4Auth(creds, case["service"], case["region"]).add_auth(request)
    return request.headers["Authorization"]


def main():
    out = []
    for case in CASES:
        entry = dict(case)
        entry["access_key_id"], entry["secret_access_key"] = KEYS
        entry["authorization"] = sign(case)
        out.append(entry)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
