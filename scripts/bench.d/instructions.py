"""Instructions per request of each server process, counted by valgrind's callgrind.

Times on a shared 2-core machine are noisy and this machine exposes no hardware counters
to `perf stat`; callgrind counts every user-space instruction the server executes, the same
in every run. Each server runs under callgrind with counting off; after a warm-up, counting
is switched on for a fixed number of requests (each on a new connection, as SDKs do) and
off again. The kernel's share (system calls) is not in these counts: the CPU time per
request of the wrk runs has it.
"""

import os
import re
import socket
import subprocess
import tempfile
import time

TTL = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN = "X-aws-ec2-metadata-token"


def exchange(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def requests_of(workload, token, creds_path):
    put = f"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n{TTL}: 21600\r\n\r\n".encode()
    role = (f"GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"{TOKEN}: {token}\r\n\r\n").encode()
    creds = f"GET {creds_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{TOKEN}: {token}\r\n\r\n".encode()
    return {"credentials": [creds], "token": [put], "sequence": [put, role, creds]}[workload]


def new_dump_total(out_dir, before):
    """The total of the dump callgrind writes after `callgrind_control --dump`, which only
    asks for it: the file appears, and ends with its totals, a little later."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name in sorted(set(os.listdir(out_dir)) - before):
            with open(os.path.join(out_dir, name)) as f:
                for line in f:
                    if line.startswith("totals:"):
                        return int(line.split()[1])
        time.sleep(0.2)
    raise RuntimeError(f"callgrind wrote no dump into {out_dir}")


def count(command, env, port, workloads, creds_path, n):
    """{workload: instructions per request} for one server started by `command` on `port`."""
    out_dir = tempfile.mkdtemp(prefix="imds-bench-callgrind-")
    # Pinned like the timed runs; taskset execs valgrind, so the PID is valgrind's.
    proc = subprocess.Popen(["taskset", "-c", "0", "valgrind", "--tool=callgrind", "--instr-atstart=no",
                             f"--callgrind-out-file={out_dir}/cg.%p", *command],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not start under valgrind")
                time.sleep(0.2)
        # The emulator hands back its start-up pages a second or two after it opens, and again
        # a second or two after the first request that follows (StartupPages). Neither is
        # per-request work, so counting starts after both.
        time.sleep(2.5)
        put = requests_of("token", "", creds_path)[0]
        token = exchange(port, put).partition(b"\r\n\r\n")[2].decode()
        time.sleep(3)
        result = {}
        for workload in workloads:
            sequence = requests_of(workload, token, creds_path)
            for _ in range(50):
                for request in sequence:
                    exchange(port, request)
            subprocess.run(["callgrind_control", "--zero", str(proc.pid)], capture_output=True, check=True)
            subprocess.run(["callgrind_control", "--instr=on", str(proc.pid)], capture_output=True, check=True)
            sent = 0
            while sent < n:
                for request in sequence:
                    answer = exchange(port, request)
                    if not answer.startswith(b"HTTP/1.1 200"):
                        raise RuntimeError(f"{workload}: {answer[:80]!r}")
                    sent += 1
            subprocess.run(["callgrind_control", "--instr=off", str(proc.pid)], capture_output=True, check=True)
            before = set(os.listdir(out_dir))
            subprocess.run(["callgrind_control", "--dump", str(proc.pid)], capture_output=True, check=True)
            result[workload] = new_dump_total(out_dir, before) / sent
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        subprocess.run(["rm", "-rf", out_dir])


def without_debug_info(binary, work):
    """valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes; the symbols are enough."""
    copy = os.path.join(work, "imds-emulator-nodebug")
    subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    return copy
