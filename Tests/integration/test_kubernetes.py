"""deploy/kubernetes, validated offline: every resource against the Kubernetes schemas that
kubernetes-validate ships (strict: unknown fields fail), the kustomization rendered by
`kubectl kustomize` when a kubectl is at hand (scripts/test installs Debian's), and the sidecar's
own rules: one pod, the emulator with NET_ADMIN and the IPv6 sysctl, the app with no AWS setting."""

from __future__ import annotations

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from imds_helpers import REPO

DEPLOY = REPO / "deploy" / "kubernetes"
# The oldest release with native sidecars on by default, and the newest the schemas know.
VERSIONS = ["1.29.0", kubernetes_validate.utils.latest_version()]


def kustomization() -> dict:
    return yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())


def resources() -> list[dict]:
    docs = []
    for name in kustomization()["resources"]:
        docs += [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]
    return docs


@pytest.mark.parametrize("version", VERSIONS)
def test_resources_match_the_kubernetes_schemas(version):
    docs = resources()
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_validation_catches_a_misspelt_field():
    """The check can fail: a typo in the container spec is an error."""
    doc = resources()[0]
    doc["spec"]["template"]["spec"]["initContainers"][0]["securityContex"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)


def pod_spec() -> dict:
    (deployment,) = [d for d in resources() if d["kind"] == "Deployment"]
    return deployment["spec"]["template"]["spec"]


def test_sidecar_shape():
    spec = pod_spec()
    (imds,) = [c for c in spec["initContainers"] if c["name"] == "imds"]
    assert imds["restartPolicy"] == "Always", "not a native sidecar"
    env = {e["name"]: e.get("value") for e in imds["env"]}
    assert env["IMDS_LINK_LOCAL"] == "1"
    caps = imds["securityContext"]["capabilities"]
    assert caps["drop"] == ["ALL"] and {"NET_ADMIN", "NET_BIND_SERVICE"} <= set(caps["add"])
    assert imds["securityContext"]["readOnlyRootFilesystem"] is True
    assert imds["startupProbe"]["exec"]["command"][-1] == "health"
    sysctls = {s["name"]: s["value"] for s in spec["securityContext"]["sysctls"]}
    assert sysctls == {"net.ipv6.conf.lo.disable_ipv6": "0"}
    for app in spec["containers"]:
        names = {e["name"] for e in app.get("env", [])}
        assert not {n for n in names if n.startswith("AWS_")}, f"{app['name']} needs no AWS setting"
    assert "hostNetwork" not in spec, "the addresses belong on the pod's own loopback"


def test_kustomize_renders_the_image():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("no kubectl here (scripts/test installs Debian's kubernetes-client)")
    r = subprocess.run([kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (deployment,) = [d for d in yaml.safe_load_all(r.stdout) if d and d["kind"] == "Deployment"]
    image = kustomization()["images"][0]
    (imds,) = deployment["spec"]["template"]["spec"]["initContainers"]
    assert imds["image"] == f"{image['newName']}:{image['newTag']}", imds["image"]
    kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)
