#!/usr/bin/env python3
"""ctrbench.py SOCK PID EXEC_ROOT BUSYBOX_TAR - container figures through
berthd's API: the `run --rm --network none busybox true` lifecycle (create,
wait, start, exit, delete) as the docker CLI drives it, start latency with
1, 100 and 500 containers running, berthd's RSS and the shims' memory (PSS)
per container.  Prints figures; never fails on a timing."""
import http.client
import json
import os
import socket
import statistics
import sys
import threading
import time


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn, method, path, body=None, raw=None, ctype="application/json"):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = ctype
    if raw is not None:
        data = raw
        headers["Content-Type"] = "application/x-tar"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    out = resp.read()
    if resp.status >= 300 and resp.status != 304:
        raise RuntimeError(f"{method} {path}: {resp.status} {out!r}")
    return json.loads(out) if out and out[:1] in b"{[" else out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run_rm(sock, conn):
    """One `docker run --rm --network none busybox true`: create, wait (on
    its own connection, before start), start, wait's answer, delete."""
    body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
    t0 = time.perf_counter()
    cid = call(conn, "POST", "/v1.41/containers/create", body)["Id"]
    wconn = UnixConn(sock)
    result = {}

    def waiter():
        result["wait"] = call(wconn, "POST", f"/v1.41/containers/{cid}/wait?condition=next-exit")

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0)  # the CLI sends start once the wait headers arrived; close enough
    call(conn, "POST", f"/v1.41/containers/{cid}/start")
    th.join()
    call(conn, "DELETE", f"/v1.41/containers/{cid}")
    t1 = time.perf_counter()
    wconn.close()
    return (t1 - t0) * 1000


def start_one(conn, name):
    body = {"Image": "busybox", "Cmd": ["sleep", "3600"], "HostConfig": {"NetworkMode": "none"}}
    cid = call(conn, "POST", f"/v1.41/containers/create?name={name}", body)["Id"]
    t0 = time.perf_counter()
    call(conn, "POST", f"/v1.41/containers/{cid}/start")
    return cid, (time.perf_counter() - t0) * 1000


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/{'smaps_rollup' if key == 'Pss:' else 'status'}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def shim_pss(exec_root):
    total, n = 0, 0
    base = os.path.join(exec_root, "containers")
    for cid in os.listdir(base) if os.path.isdir(base) else []:
        try:
            with open(os.path.join(base, cid, "shim.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        total += status_kib(pid, "Pss:")
        n += 1
    return total, n


def main():
    sock, pid, exec_root, tar = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rounds = int(os.environ.get("ROUNDS", "30"))
    levels = [int(x) for x in os.environ.get("LEVELS", "1,100,500").split(",")]
    conn = UnixConn(sock)
    with open(tar, "rb") as f:
        call(conn, "POST", "/v1.41/images/create?fromSrc=-&repo=busybox&tag=latest", raw=f.read())
    run_rm(sock, conn)  # warm up
    times = [run_rm(sock, conn) for _ in range(rounds)]
    print(f"run --rm --network none busybox true: p50 {statistics.median(times):.1f} ms, "
          f"p99 {pct(times, 99):.1f} ms ({rounds} runs)")
    print(f"  vs Docker 405 ms / Podman 275 ms (lifecycle on a bridge, measured here): "
          f"{405 / statistics.median(times):.0f}x / {275 / statistics.median(times):.0f}x")
    running = []
    print(f"{'running':>8} {'start p50':>10} {'start p99':>10} {'berthd RSS':>11} {'shim PSS/ctr':>13}")
    for level in levels:
        while len(running) < level:
            running.append(start_one(conn, f"bg{len(running)}")[0])
        samples = []
        for i in range(min(rounds, 20)):
            cid, ms = start_one(conn, f"probe{level}-{i}")
            samples.append(ms)
            call(conn, "DELETE", f"/v1.41/containers/{cid}?force=1")
        pss, n = shim_pss(exec_root)
        print(f"{level:>8} {statistics.median(samples):>9.1f}  {pct(samples, 99):>9.1f} "
              f"{status_kib(pid, 'VmRSS:'):>8} KiB {pss // max(n, 1):>9} KiB")
    t0 = time.perf_counter()
    for cid in running:
        call(conn, "DELETE", f"/v1.41/containers/{cid}?force=1")
    print(f"removed {len(running)} running containers in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
