"""scripts/bench: imds-emulator against nginx in the same run, on the same paths.

Both servers run pinned to CPU 0 and the load generator (wrk) to CPU 1; each request uses a
new connection, as SDKs talk to IMDS. Workloads alternate between the two servers for
several rounds; medians are reported with the ratio emulator/nginx. Then each workload runs
again at half of nginx's full-load rate (latency where the server is not the bottleneck),
and once more with a slowloris client holding 1,000 half-sent requests open; one more
half-rate run, with the access log on, splits the latency into the emulator's own time and
the rest. Memory and start-up time are measured on fresh emulator processes. Everything runs
on 127.0.0.1, bounded in time.
"""

import argparse
import http.client as httpclient
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import instructions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("IMDS_EMULATOR_BIN", os.path.join(ROOT, ".build", "release", "imds-emulator"))
ROLE = "imds-emulator"
# " deferred" with --nginx-deferred: nginx's listen with TCP_DEFER_ACCEPT, which the emulator
# turns on by itself under load.
NGINX_LISTEN_OPTIONS = ""
CREDS_PATH = "/latest/meta-data/iam/security-credentials/" + ROLE
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "proxy" not in k.lower()}
    env["HOME"] = home
    return env


def http(port, method, path, headers=None, timeout=2):
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def start_emulator(home, port, extra=()):
    # Room for the idle-connection reading; the default limit (4096) would refuse most of it.
    return subprocess.Popen(["taskset", "-c", "0", BIN, "serve", "--listen", f"127.0.0.1:{port}", "--access-log", "off",
                             "--log-level", "warning", "--max-connections", "16384", *extra],
                            env=clean_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_credentials(port, deadline):
    """Token PUT then credentials GET until both answer; returns the token and document."""
    while time.monotonic() < deadline:
        try:
            status, token = http(port, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
            if status == 200:
                status, doc = http(port, "GET", CREDS_PATH, {"X-aws-ec2-metadata-token": token})
                if status == 200:
                    return token, doc
        except OSError:
            pass
        time.sleep(0.001)
    raise RuntimeError("the emulator did not serve credentials in time")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds(pid):
    """Descriptors the process holds: sockets of accepted connections among them."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def anonymous_kib(pid):
    """The private, anonymous part of the RSS: what the process itself allocated, as opposed
    to the pages of its executable and shared libraries that the kernel can drop and re-read."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def parse_duration(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        raise RuntimeError(f"not a wrk duration: {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[unit]


def wrk(port, script, seconds, connections, env):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", os.path.join(HERE, script), f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, env=env, timeout=seconds + 30)
    text = out.stdout

    def find(pattern):
        m = re.search(pattern, text, re.MULTILINE)
        if not m:
            raise RuntimeError(f"wrk's output did not say {pattern!r}:\n{text}\n{out.stderr}")
        return m.group(1)

    requests = int(find(r"(\d+) requests in"))
    rps = float(find(r"Requests/sec:\s+([\d.]+)"))
    p50 = parse_duration(find(r"^\s+50%\s+(\S+)$"))
    p99 = parse_duration(find(r"^\s+99%\s+(\S+)$"))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    return dict(requests=requests, rps=rps, p50=p50, p99=p99, errors=errors)


def half_load(results, name):
    """Half of nginx's median full-load rate for a workload, and nginx's median p50 there
    (which `paced` needs to size its connections)."""
    runs = results[(name, "nginx")]
    return statistics.median(r["rps"] for r in runs) / 2, statistics.median(r["p50"] for r in runs)


def paced(port, script, seconds, rate, latency_ms, env):
    """wrk at about `rate` requests/s: enough connections that, each waiting a random delay
    averaging MEAN_DELAY_MS before every request, together they send `rate` per second."""
    mean_ms = 10
    connections = max(1, round(rate * (mean_ms + latency_ms) / 1000))
    env = dict(env, WORKLOAD=os.path.join(HERE, script), MEAN_DELAY_MS=str(mean_ms))
    return wrk(port, "paced.lua", seconds, connections, env)


class Slowloris:
    """`count` connections that each send half a request and then one more byte of a header
    value every `every` seconds, reopening any the server closes (the emulator closes a
    request that takes longer than --read-timeout, nginx one slower than its
    client_header_timeout), so that `count` stay held; stops when closed."""

    HALF_REQUEST = b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    def __init__(self, port, count, every=2.0):
        self.port = port
        self.sockets = [self._open() for _ in range(count)]
        self.reopened = 0
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _open(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        s.sendall(self.HALF_REQUEST)
        s.setblocking(False)
        return s

    def _closed(self, s):
        try:
            return s.recv(1) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _trickle(self):
        while not self.done.wait(self.every):
            for i, s in enumerate(self.sockets):
                if self._closed(s):
                    s.close()
                    try:
                        self.sockets[i] = self._open()
                        self.reopened += 1
                    except OSError:
                        pass
                    continue
                try:
                    s.send(b"a")
                except OSError:
                    pass

    def still_open(self):
        """How many the server has not closed at this moment."""
        return sum(not self._closed(s) for s in self.sockets)

    def close(self):
        self.done.set()
        self.thread.join(10)
        for s in self.sockets:
            s.close()


def nginx_conf(work, port, token, doc):
    os.makedirs(os.path.join(work, "www"), exist_ok=True)
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    # nginx started as root serves from an unprivileged worker: it must be able to read these.
    for d in (work, os.path.join(work, "www")):
        os.chmod(d, 0o755)
    with open(os.path.join(work, "www", "creds.json"), "w") as f:
        f.write(doc)
    os.chmod(os.path.join(work, "www", "creds.json"), 0o644)
    conf = open(os.path.join(HERE, "nginx.conf.in")).read()
    for key, value in {"@DIR@": work, "@PORT@": str(port), "@LISTEN_OPTIONS@": NGINX_LISTEN_OPTIONS,
                       "@TOKEN@": token, "@ROLE@": ROLE}.items():
        conf = conf.replace(key, value)
    path = os.path.join(work, f"nginx-{port}.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(work, port, token, doc):
    path = nginx_conf(work, port, token, doc)
    proc = subprocess.Popen(["taskset", "-c", "0", NGINX, "-c", path, "-p", work, "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if http(port, "GET", CREDS_PATH)[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    else:
        stop(proc)
        raise RuntimeError("nginx did not answer within 10 s; see " + os.path.join(work, "nginx-error.log"))
    # The master forks one worker; the worker does the work and is what CPU time is read from.
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return proc, int(children[0]) if children else proc.pid


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def measure_memory_and_start(home, args):
    """Idle RSS, RSS after a flood of token PUTs, RSS with many idle connections, start time."""
    starts = []
    for _ in range(5):
        port = free_port()
        t0 = time.monotonic()
        proc = start_emulator(home, port)
        try:
            wait_credentials(port, t0 + 10)
            starts.append((time.monotonic() - t0) * 1000)
        finally:
            stop(proc)

    port = free_port()
    proc = start_emulator(home, port)
    result = {"start_ms": statistics.median(starts)}
    try:
        token, _ = wait_credentials(port, time.monotonic() + 10)
        env = dict(os.environ, TOKEN=token, CREDS_PATH=CREDS_PATH)
        time.sleep(0.5)
        result["start_kib"] = rss_kib(proc.pid)
        # A second or two after it opens, the emulator hands back the pages only start-up
        # touched, and again a second or two after the first request that follows
        # (StartupPages). Idle RSS is read after both and after every workload has run for a
        # second since, so it holds what serving needs, like nginx's worker read after its
        # rounds.
        time.sleep(2.5)
        for _ in range(2):
            for script in ("creds.lua", "token.lua", "sequence.lua"):
                wrk(port, script, 1, args.connections, env)
            time.sleep(2.5)
        result["idle_kib"] = rss_kib(proc.pid)
        result["idle_anon_kib"] = anonymous_kib(proc.pid)
        flooded = 0
        rounds = 0
        while flooded < args.flood and rounds < 20:
            flooded += wrk(port, "token.lua", 10, args.connections, env)["requests"]
            rounds += 1
        result["flood"] = flooded
        result["flood_kib"] = rss_kib(proc.pid)
        # Under load the listener has the kernel hold new connections until their request
        # arrives (DeferAcceptPolicy), and keeps that up for a second or two after the load
        # stops; idle connections opened meanwhile would be held by the kernel, not the
        # emulator, for a second. Wait that out, so the reading is of connections it holds.
        time.sleep(3)
        base_fds = open_fds(proc.pid)
        sockets = []
        try:
            for _ in range(args.idle):
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
                sockets.append(s)
            # Until the emulator has accepted them all, or its read timeout (5 s) would close
            # the first.
            deadline = time.monotonic() + 4
            while open_fds(proc.pid) - base_fds < len(sockets) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            result["idle_conns"] = open_fds(proc.pid) - base_fds
            result["idle_conns_kib"] = rss_kib(proc.pid)
            # An honest client still gets its answer while they hang on.
            t0 = time.monotonic()
            status, _ = http(port, "GET", CREDS_PATH, {"X-aws-ec2-metadata-token": token})
            result["with_idle_ms"] = (time.monotonic() - t0) * 1000 if status == 200 else None
        finally:
            for s in sockets:
                s.close()
    finally:
        stop(proc)
    return result


def measure_server_side(home, rate, latency_ms, seconds):
    """Where the half-rate latency goes: one more credentials run at that rate, with the access
    log on, splits wrk's latency into the emulator's own time from the request's first byte to
    its answer (each line's duration_us) and the rest: the kernel's queues and wake-ups, and
    waiting to be scheduled. The log costs CPU, so this run is reported on its own, never in
    the tables."""
    log = os.path.join(home, "access.log")
    port = free_port()
    proc = start_emulator(home, port, ("--access-log", log))
    try:
        token, _ = wait_credentials(port, time.monotonic() + 10)
        env = dict(os.environ, TOKEN=token, CREDS_PATH=CREDS_PATH)
        r = paced(port, "creds.lua", seconds, rate, latency_ms, env)
    finally:
        stop(proc)
    durations = []
    with open(log) as f:
        for line in f:
            record = json.loads(line)
            if record["path"] == CREDS_PATH and record["status"] == 200:
                durations.append(record["duration_us"])
    os.remove(log)
    durations.sort()
    if not durations:
        raise RuntimeError("the access log holds no credentials request")
    r["server_us"] = {q: durations[min(len(durations) - 1, int(q * len(durations)))] for q in (0.5, 0.99)}
    r["server_us"]["max"] = durations[-1]
    r["logged"] = len(durations)
    return r


def measure_instructions(home, work, token, doc, n):
    """Instructions per request of both servers, by callgrind (see instructions.py)."""
    workloads = ["credentials", "token", "sequence"]
    port = free_port()
    emulator = instructions.count(
        [instructions.without_debug_info(BIN, work), "serve", "--listen", f"127.0.0.1:{port}",
         "--access-log", "off", "--log-level", "warning"], clean_env(home), port, workloads, CREDS_PATH, n)
    nport = free_port()
    nginx = instructions.count(
        [NGINX, "-c", nginx_conf(work, nport, token, doc), "-p", work,
         "-g", "daemon off; master_process off;"], dict(os.environ), nport, workloads, CREDS_PATH, n)
    return {"imds-emulator": emulator, "nginx": nginx}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per run (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--flood", type=int, default=1_000_000, help="token PUTs before the second RSS reading")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections for the third RSS reading")
    parser.add_argument("--slowloris", type=int, default=1000, help="half-open connections of the slowloris run")
    parser.add_argument("--instructions", type=int, default=2000,
                        help="requests per workload counted by callgrind (default 2000; 0 skips it)")
    parser.add_argument("--nginx-deferred", action="store_true",
                        help="run nginx with `listen ... deferred` (TCP_DEFER_ACCEPT all the time)")
    args = parser.parse_args()
    global NGINX_LISTEN_OPTIONS
    NGINX_LISTEN_OPTIONS = " deferred" if args.nginx_deferred else ""

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.idle + args.slowloris + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    home = tempfile.mkdtemp(prefix="imds-bench-")
    work = tempfile.mkdtemp(prefix="imds-bench-nginx-")
    results = {}
    nginx_memory = (0, 0)
    half = {}
    slowloris = {}
    try:
        port = free_port()
        emulator = start_emulator(home, port)
        nginx = None
        try:
            token, doc = wait_credentials(port, time.monotonic() + 10)
            nport = free_port()
            nginx, nginx_worker = start_nginx(work, nport, token, doc)
            env = dict(os.environ, TOKEN=token, CREDS_PATH=CREDS_PATH)
            servers = [("imds-emulator", port, emulator.pid), ("nginx", nport, nginx_worker)]
            workloads = [("credentials", "creds.lua"), ("token", "token.lua"), ("sequence", "sequence.lua")]
            for round_ in range(args.rounds):
                for name, script in workloads:
                    for server, p, pid in servers:
                        before = cpu_seconds(pid)
                        r = wrk(p, script, args.duration, args.connections, env)
                        r["cpu_us"] = (cpu_seconds(pid) - before) / max(1, r["requests"]) * 1e6
                        results.setdefault((name, server), []).append(r)
                        print(f"round {round_ + 1} {name:12} {server:14} {r['rps']:>10.0f} req/s  p50 {r['p50']:.3f} ms  "
                              f"p99 {r['p99']:.3f} ms  cpu {r['cpu_us']:.1f} us/req  errors {r['errors']}", flush=True)
            # nginx's worker has now served every workload; its idle RSS is read here.
            time.sleep(0.5)
            nginx_memory = (rss_kib(nginx_worker), anonymous_kib(nginx_worker))
            # Latency where the server is not the bottleneck: half of nginx's full-load rate,
            # then the credentials load at that rate with a slowloris client holding connections.
            # Rounds alternate the servers as above; medians are reported.
            for round_ in range(args.rounds):
                for name, script in workloads:
                    rate, latency = half_load(results, name)
                    for server, p, pid in servers:
                        r = paced(p, script, args.duration, rate, latency, env)
                        half.setdefault((name, server), []).append(r)
                        print(f"round {round_ + 1} half-rate {name:12} {server:14} {r['rps']:>10.0f} req/s  "
                              f"p50 {r['p50']:.3f} ms  p99 {r['p99']:.3f} ms  errors {r['errors']}", flush=True)
                rate, latency = half_load(results, "credentials")
                for server, p, pid in servers:
                    slow = Slowloris(p, args.slowloris)
                    try:
                        r = paced(p, "creds.lua", args.duration, rate, latency, env)
                        r["held"] = slow.still_open()
                        r["reopened"] = slow.reopened
                    finally:
                        slow.close()
                    slowloris.setdefault(server, []).append(r)
                    print(f"round {round_ + 1} slowloris {server:14} {r['rps']:>10.0f} req/s  p50 {r['p50']:.3f} ms  "
                          f"p99 {r['p99']:.3f} ms  errors {r['errors']}  half-open connections held at the end "
                          f"{r['held']}/{args.slowloris}, reopened after the server closed them {r['reopened']}",
                          flush=True)
        finally:
            stop(emulator)
            if nginx:
                stop(nginx)

        split = measure_server_side(home, *half_load(results, "credentials"), args.duration)
        counted = measure_instructions(home, work, token, doc, args.instructions) if args.instructions else None
        memory = measure_memory_and_start(home, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    def med(name, server, key):
        return statistics.median(r[key] for r in results[(name, server)])

    print()
    if args.nginx_deferred:
        print("nginx listens with `deferred` (TCP_DEFER_ACCEPT all the time)")
    print(f"{'workload':12} {'server':14} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'cpu us/req':>11} {'errors':>7}")
    summary = []
    for name in ["credentials", "token", "sequence"]:
        for server in ["imds-emulator", "nginx"]:
            print(f"{name:12} {server:14} {med(name, server, 'rps'):>10.0f} {med(name, server, 'p50'):>8.3f} "
                  f"{med(name, server, 'p99'):>8.3f} {med(name, server, 'cpu_us'):>11.1f} "
                  f"{sum(r['errors'] for r in results[(name, server)]):>7}")
        rps = med(name, "imds-emulator", "rps") / med(name, "nginx", "rps")
        cpu = med(name, "imds-emulator", "cpu_us") / med(name, "nginx", "cpu_us")
        print(f"{name:12} {'ratio':14} {rps:>10.2f}x {'':>17} {cpu:>11.2f}x")
        summary.append(f"{name} rps {rps:.2f}x cpu {cpu:.2f}x")
    print()
    def med_of(runs, key):
        return statistics.median(r[key] for r in runs)

    print(f"at half of nginx's full-load rate (p99 target < 1 ms):")
    for name in ["credentials", "token", "sequence"]:
        for server in ["imds-emulator", "nginx"]:
            runs = half[(name, server)]
            print(f"{name:12} {server:14} {med_of(runs, 'rps'):>10.0f} {med_of(runs, 'p50'):>8.3f} "
                  f"{med_of(runs, 'p99'):>8.3f} {'':>11} {sum(r['errors'] for r in runs):>7}")
        summary.append(f"{name} half-rate p99 {med_of(half[(name, 'imds-emulator')], 'p99'):.2f} ms")
    server = split["server_us"]
    print(f"where it goes, credentials once more at half rate with the access log on: wrk saw p50 {split['p50']:.3f} ms, "
          f"p99 {split['p99']:.3f} ms; the emulator's own time from first byte to answer (duration_us of "
          f"{split['logged']} lines) p50 {server[0.5]} us, p99 {server[0.99]} us, max {server['max']} us; "
          f"the rest is the kernel's queues and wake-ups and the wait to be scheduled")
    summary.append(f"half-rate server-side p99 {server[0.99]} us")
    print(f"credentials with {args.slowloris} slowloris connections held (honest p99 target <= 10 ms):")
    for server in ["imds-emulator", "nginx"]:
        runs = slowloris[server]
        print(f"{'credentials':12} {server:14} {med_of(runs, 'rps'):>10.0f} {med_of(runs, 'p50'):>8.3f} "
              f"{med_of(runs, 'p99'):>8.3f} {'':>11} {sum(r['errors'] for r in runs):>7}"
              f"  held {min(r['held'] for r in runs)} (fewest), reopened {max(r['reopened'] for r in runs)} (most)")
    summary.append(f"slowloris p99 {med_of(slowloris['imds-emulator'], 'p99'):.2f} ms")
    if counted:
        print(f"instructions per request (callgrind, user space, {args.instructions} requests per workload):")
        for name in ["credentials", "token", "sequence"]:
            ours, theirs = counted["imds-emulator"][name], counted["nginx"][name]
            print(f"{name:12} {'imds-emulator':14} {ours:>10,.0f}")
            print(f"{name:12} {'nginx':14} {theirs:>10,.0f}")
            print(f"{name:12} {'ratio':14} {ours / theirs:>10.2f}x")
            summary.append(f"{name} instructions {ours / theirs:.2f}x")
    print()
    with tempfile.TemporaryDirectory() as scratch:
        stripped = os.path.join(scratch, "imds-emulator")
        subprocess.run(["objcopy", "--strip-all", BIN, stripped], check=True)
        size = os.path.getsize(stripped) / 1e6
    print(f"binary: {os.path.relpath(BIN, ROOT)}, {os.path.getsize(BIN) / 1e6:.1f} MB, stripped {size:.1f} MB")
    summary.append(f"stripped {size:.1f} MB")
    idle = memory["idle_kib"] / 1024
    print(f"start to first served credentials: {memory['start_ms']:.1f} ms (median of 5)")
    print(f"RSS idle: {idle:.1f} MiB, of which anonymous {memory['idle_anon_kib'] / 1024:.1f} MiB "
          f"(nginx's worker: {nginx_memory[0] / 1024:.1f} MiB, anonymous {nginx_memory[1] / 1024:.1f} MiB), "
          f"read after every workload ran; {memory['start_kib'] / 1024:.1f} MiB half a second after start, "
          f"before the start-up pages are handed back")
    print(f"RSS after {memory['flood']} token PUTs: {memory['flood_kib'] / 1024:.1f} MiB "
          f"({(memory['flood_kib'] - memory['idle_kib']) / 1024:+.2f} MiB)")
    print(f"RSS with {memory['idle_conns']} idle connections held (of {args.idle} opened): "
          f"{memory['idle_conns_kib'] / 1024:.1f} MiB; "
          f"an honest request meanwhile took {memory['with_idle_ms']:.2f} ms" if memory["with_idle_ms"] is not None
          else "an honest request with idle connections open failed")
    print("summary: " + " | ".join(summary) + f" | idle {idle:.1f} MiB | flood "
          f"{(memory['flood_kib'] - memory['idle_kib']) / 1024:+.2f} MiB | start {memory['start_ms']:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
