"""Fixtures for the sidecar tests: real containers on a real Docker engine.

scripts/docker-test builds the emulator image (IMDS_DOCKER_IMAGE) and an app image with
Debian's boto3, AWS CLI v2 and curl (IMDS_DOCKER_APP_IMAGE), then runs these tests. Every
container runs with `--network none` or `--network container:NAME` (no Docker network is ever
made), carries the label of this run, and is removed by name when its test ends.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
from dataclasses import dataclass, field

import pytest

IMAGE = os.environ.get("IMDS_DOCKER_IMAGE", "")
APP_IMAGE = os.environ.get("IMDS_DOCKER_APP_IMAGE", "")
# scripts/docker-test removes whatever carries its label, should a test leave a container.
LABEL = os.environ.get("IMDS_DOCKER_LABEL") or f"imds-emulator-test={os.getpid()}"
_names = itertools.count(1)

# Measurements printed at the end of the run (pytest_terminal_summary).
REPORT: dict[str, str] = {}


def pytest_configure(config):
    if not IMAGE or not APP_IMAGE:
        raise pytest.UsageError("run these through scripts/docker-test (it builds the images)")
    if os.environ.get("IMDS_DOCKER_BUILD_SECONDS"):
        REPORT["image build"] = (f"{float(os.environ['IMDS_DOCKER_BUILD_SECONDS']):.1f} s "
                                 f"({os.environ.get('IMDS_DOCKER_BUILDER', '?')} builder)")


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("docker measurements")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")


def docker(*args, timeout: float = 60, check: bool = True, input: str | None = None):
    """`docker ARGS`, bounded in time; fails the test with its output when it fails."""
    r = subprocess.run(["docker", *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, input=input)
    if check and r.returncode != 0:
        pytest.fail(f"docker {' '.join(map(str, args))}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def inspect(name: str, template: str) -> str:
    return docker("inspect", "-f", template, name).stdout.strip()


@dataclass
class Containers:
    """Starts containers with this run's label and removes each by name at the end."""
    names: list[str] = field(default_factory=list)

    def name(self, role: str) -> str:
        n = f"imds-dt-{os.getpid()}-{next(_names)}-{role}"
        self.names.append(n)
        return n

    def run(self, role: str, *args, image: str = IMAGE, command=()) -> str:
        name = self.name(role)
        docker("run", "-d", "--name", name, "--label", LABEL, *args, image, *command)
        return name

    def remove_all(self) -> None:
        for n in reversed(self.names):
            docker("rm", "-f", "-v", n, check=False, timeout=60)
        self.names.clear()


@pytest.fixture
def containers():
    c = Containers()
    yield c
    c.remove_all()


@pytest.fixture(scope="module")
def module_containers():
    c = Containers()
    yield c
    c.remove_all()


@dataclass
class Sidecar:
    holder: str
    emulator: str
    started: float  # time.time() just before the emulator's `docker run`
    healthy_after: float = 0.0  # seconds from that `docker run` to health `healthy`

    @property
    def network(self) -> str:
        return f"container:{self.holder}"

    def logs(self) -> tuple[str, str]:
        r = docker("logs", self.emulator)
        return r.stdout, r.stderr

    def access_records(self) -> list[dict]:
        out, _ = self.logs()
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def start_sidecar(c: Containers, *emulator_args, holder_args=(), env=()) -> Sidecar:
    """The layout of docker/compose.yaml: a `hold` container owns the network namespace (with
    IPv6 on lo), the emulator joins it with NET_ADMIN and IMDS_LINK_LOCAL=1."""
    holder = c.run("netns", "--network", "none", "--sysctl", "net.ipv6.conf.lo.disable_ipv6=0",
                   "--no-healthcheck", *holder_args, command=["hold"])
    started = time.time()
    envs = [a for kv in ("IMDS_LINK_LOCAL=1", "IMDS_EMULATOR_ROLE=app-role", *env) for a in ("-e", kv)]
    emulator = c.run("imds", "--network", f"container:{holder}", "--cap-add", "NET_ADMIN",
                     *envs, *emulator_args)
    return Sidecar(holder, emulator, started)


def wait_healthy(name: str, limit: float = 30.0) -> float:
    """Seconds from now until the container's health is `healthy`; fails past `limit`."""
    t0 = time.time()
    status = ""
    while time.time() - t0 < limit:
        status = inspect(name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")
        if status == "healthy":
            return time.time() - t0
        if inspect(name, "{{.State.Running}}") != "true":
            break
        time.sleep(0.2)
    out = docker("logs", "--tail", "20", name, check=False)
    pytest.fail(f"{name} not healthy after {time.time() - t0:.1f} s (status {status!r})\n"
                f"{out.stdout}{out.stderr}")


def run_app(network: str, *command, env=(), timeout: float = 120):
    """A one-off app container in the namespace, with no AWS setting but those in `env`."""
    envs = [a for kv in env for a in ("-e", kv)]
    return docker("run", "--rm", "--label", LABEL, "--network", network, *envs, APP_IMAGE,
                  *command, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def sidecar(module_containers) -> Sidecar:
    s = start_sidecar(module_containers)
    wait_healthy(s.emulator)
    s.healthy_after = time.time() - s.started
    REPORT["docker run -> healthy"] = f"{s.healthy_after:.1f} s"
    return s
