#!/usr/bin/env python3
"""tperf.py SOCK NS OUT_NS VA_NS VB_NS BUSYBOX_TAR - TCP throughput with
iperf3 (one stream for IPERF_TIME seconds, default 5; IPERF_RUNS runs per
path, default 3, interleaved; median, min and max):

  floor      a bare veth pair between namespaces VA_NS and VB_NS (192.0.2.1/.2)
  bridge     container -> container on one user bridge network
  nat out    container -> OUT_NS (198.51.100.1) through the masquerade
  nat in     OUT_NS -> a container's published port on NS's 198.51.100.2 (DNAT)

OUT_NS is linked to NS with a veth (run.sh makes it: 198.51.100.1 in OUT_NS,
198.51.100.2 in NS, NS's default route via .1); nothing is in the machine's
own namespace.  iperf3 runs in the containers from an image made of the
busybox root file system plus the host's iperf3 and the shared libraries
ldd names for it.  Prints figures; never fails on a rate."""
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

from benchlib import UnixConn, call, logs

SECS = int(os.environ.get("IPERF_TIME", "5"))  # seconds per run; IPERF_RUNS runs per path
IMAGE = "berth-bench-iperf3"


def image_tar(busybox_tar):
    """The busybox tarball plus iperf3 and its libraries at their ldd paths."""
    iperf = shutil.which("iperf3")
    ldd = subprocess.run(["ldd", iperf], capture_output=True, text=True, check=True).stdout
    files = [iperf]
    for line in ldd.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            files.append(m.group(1))
    buf = io.BytesIO()
    with tarfile.open(busybox_tar) as src, tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as dst:
        have = set()
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isreg() else None)
            have.add(m.name.rstrip("/"))
        for path in files:
            arc = path.lstrip("/")
            parts = arc.split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in have:
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    dst.addfile(ti)
                    have.add(d)
            real = os.path.realpath(path)
            ti = dst.gettarinfo(real, arcname=arc)
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            with open(real, "rb") as f:
                dst.addfile(ti, f)
            have.add(arc)
    return buf.getvalue(), files


def rate(js):
    """(Gbit/s at the receiver, retransmits) from iperf3 -J output."""
    d = json.loads(js[js.index("{"):])
    if d.get("error"):
        raise RuntimeError(f"iperf3: {d['error']}")
    end = d["end"]
    return end["sum_received"]["bits_per_second"] / 1e9, end["sum_sent"].get("retransmits", 0)


class Tperf:
    def __init__(self, sock, ns):
        self.sock, self.ns = sock, ns
        self.conn = UnixConn(sock, timeout=SECS + 120)
        self.ctrs = []

    def api(self, method, path, body=None):
        return call(self.conn, method, path, body)

    def run(self, cmd, network, ports=None):
        body = {"Image": IMAGE, "Cmd": cmd, "HostConfig": {"NetworkMode": network},
                "NetworkingConfig": {"EndpointsConfig": {network: {}}}}
        if ports:
            body["ExposedPorts"] = {p: {} for p in ports}
            body["HostConfig"]["PortBindings"] = {p: [{"HostPort": str(h)}] for p, h in ports.items()}
        cid = self.api("POST", "/v1.41/containers/create", body)["Id"]
        self.ctrs.append(cid)
        self.api("POST", f"/v1.41/containers/{cid}/start")
        return cid

    def ip(self, cid, network):
        return self.api("GET", f"/v1.41/containers/{cid}/json")["NetworkSettings"]["Networks"][network]["IPAddress"]

    def wait(self, cid):
        return self.api("POST", f"/v1.41/containers/{cid}/wait")["StatusCode"]

    def rm(self, cid):
        self.api("DELETE", f"/v1.41/containers/{cid}?force=1")
        self.ctrs.remove(cid)

    def server_ready(self, cid):
        for _ in range(100):
            if "Server listening" in logs(self.conn, cid):
                return
            time.sleep(0.05)
        raise RuntimeError(f"iperf3 server in {cid[:12]} not listening: {logs(self.conn, cid)!r}")

    def client_in_ctr(self, network, target, port=5201):
        cid = self.run(["iperf3", "-c", target, "-p", str(port), "-t", str(SECS), "-J"], network)
        st = self.wait(cid)
        out = logs(self.conn, cid)
        self.rm(cid)
        if st != 0 and '"end"' not in out:
            raise RuntimeError(f"iperf3 client container exited {st}: {out[-400:]!r}")
        return rate(out)


def host_server(ns, addr):
    p = subprocess.Popen(["ip", "netns", "exec", ns, "iperf3", "-s", "-1", "-B", addr],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        ss = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :5201"],
                            capture_output=True, text=True).stdout
        if ss.strip():
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError(f"iperf3 server in {ns} not listening")


def stop(srv):
    """a one-off server ends with its client's test; one that got none is killed"""
    try:
        srv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()


def host_client(ns, target, port=5201):
    p = subprocess.run(["ip", "netns", "exec", ns, "iperf3", "-c", target, "-p", str(port), "-t", str(SECS), "-J"],
                       capture_output=True, text=True)
    return rate(p.stdout)


def main():
    sock, ns, out_ns, va, vb, tar = sys.argv[1:7]
    t = Tperf(sock, ns)
    runs = int(os.environ.get("IPERF_RUNS", "3"))
    data, files = image_tar(tar)
    call(t.conn, "POST", f"/v1.41/images/create?fromSrc=-&repo={IMAGE}&tag=latest", raw=data)
    print(f"image {IMAGE}: busybox + {', '.join(files)} ({len(data) // 1024} KiB); "
          f"one TCP stream, {SECS} s, {runs} runs per path; rate at the receiver")
    results = {}
    errors = []

    def floor():
        srv = host_server(va, "192.0.2.1")
        try:
            return host_client(vb, "192.0.2.1")
        finally:
            stop(srv)

    def bridge():
        s = t.run(["iperf3", "-s", "-1", "--forceflush"], "bench-tp")
        t.server_ready(s)
        r = t.client_in_ctr("bench-tp", t.ip(s, "bench-tp"))
        t.wait(s)
        t.rm(s)
        return r

    def nat_out():
        srv = host_server(out_ns, "198.51.100.1")
        try:
            return t.client_in_ctr("bench-tp", "198.51.100.1")
        finally:
            stop(srv)

    def nat_in():
        s = t.run(["iperf3", "-s", "-1", "--forceflush"], "bench-tp", {"5201/tcp": 25201})
        t.server_ready(s)
        r = host_client(out_ns, "198.51.100.2", 25201)
        t.wait(s)
        t.rm(s)
        return r

    tests = [("bare veth pair between two netns (floor)", floor),
             ("container -> container, one bridge", bridge),
             ("container -> outside netns, NAT (masquerade)", nat_out),
             ("outside netns -> container, published port (DNAT)", nat_in)]
    net = call(t.conn, "POST", "/v1.41/networks/create", {"Name": "bench-tp"})["Id"]
    try:
        for r in range(runs):  # interleaved: a noisy moment hits every path
            for name, fn in tests:
                try:
                    results.setdefault(name, []).append(fn())
                except Exception as e:
                    errors.append(f"{name}: {e}")
                    print(f"ERROR in throughput {name} (run {r + 1}): {e}")
        floor_gbps = None
        for i, (name, _) in enumerate(tests):
            v = sorted(results.get(name, []))
            if not v:
                continue
            g = statistics.median(x[0] for x in v)
            if i == 0:
                floor_gbps = g
            rel = f" = {g / floor_gbps * 100:.0f}% of the floor" if i and floor_gbps else ""
            print(f"tcp {name:<52} p50 {g:6.2f} Gbit/s (min {v[0][0]:.2f}, max {v[-1][0]:.2f}, n {len(v)}; "
                  f"retransmits p50 {statistics.median(x[1] for x in v):.0f}){rel}")
    finally:
        for cid in list(t.ctrs):
            t.rm(cid)
        call(t.conn, "DELETE", f"/v1.41/networks/{net}")
        call(t.conn, "DELETE", f"/v1.41/images/{IMAGE}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
