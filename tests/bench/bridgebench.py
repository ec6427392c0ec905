#!/usr/bin/env python3
"""bridgebench.py SOCK PID NS BUSYBOX_TAR OUT.json - the bridge data path
through berthd's API, berthd running in namespace NS:

  1. `run --rm busybox true` (create, wait, start, exit, delete) on the
     default bridge and on a user network against --network none: medians,
     p99 and the difference (what the bridge data path costs);
  2. connect and disconnect of a running container to/from a network that
     already holds 1, 100 and 500 running containers;
  3. start latency with 0, 1 and 100 published ports, and the nft rule count
     of `table inet berth` with 1 and 100 ports and 1 and 50 networks (it
     must not grow: ports and networks are set and map elements).

Environment: ROUNDS (30, lifecycles per mode), CONNECT_LEVELS (1,100,500),
CONNECT_ROUNDS (30), PORT_LEVELS (0,1,100), PORT_ROUNDS (20), NET_LEVELS
(1,50).  Medians go to OUT.json for the summary against the kernel floor.
Prints figures; never fails on a timing (an API error is an error)."""
import json
import os
import subprocess
import sys
import time
import traceback

from benchlib import APIError, UnixConn, call, fig, ms, nft_counts, p50, rss_kib, run_rm

DOCKER_LIFECYCLE, PODMAN_LIFECYCLE = 405.0, 275.0  # on a bridge, measured on this machine
DOCKER_CONNECT, PODMAN_CONNECT = 30.0, 48.0
SCALE_SUBNET = "172.30.0.0/16"  # room for 500+ containers (the pool hands out /24s)


def env_list(name, default):
    return [int(x) for x in os.environ.get(name, default).split(",") if x.strip()]


def ctr_body(cmd, network, ports=0):
    body = {"Image": "busybox", "Cmd": cmd, "HostConfig": {"NetworkMode": network}}
    if network not in ("none", "host", "bridge", "default"):
        body["NetworkingConfig"] = {"EndpointsConfig": {network: {}}}
    if ports:
        body["ExposedPorts"] = {f"{1000 + i}/tcp": {} for i in range(ports)}
        body["HostConfig"]["PortBindings"] = {
            f"{1000 + i}/tcp": [{"HostIp": "", "HostPort": str(20000 + i)}] for i in range(ports)}
    return body


class Bench:
    def __init__(self, sock, pid, ns):
        self.sock, self.pid, self.ns = sock, pid, ns
        self.conn = UnixConn(sock)
        self.out = {}
        self.errors = []
        self.made_ctrs, self.made_nets = [], []

    def api(self, method, path, body=None):
        return call(self.conn, method, path, body)

    def net_create(self, name, subnet=None):
        body = {"Name": name, "Driver": "bridge"}
        if subnet:
            body["IPAM"] = {"Config": [{"Subnet": subnet}]}
        nid = self.api("POST", "/v1.41/networks/create", body)["Id"]
        self.made_nets.append(nid)
        return nid

    def net_delete(self, nid):
        self.api("DELETE", f"/v1.41/networks/{nid}")
        self.made_nets.remove(nid)

    def run_bg(self, name, network, ports=0):
        """create + start a `sleep 3600`; returns (id, create ms, start ms)."""
        t0 = time.perf_counter()
        cid = self.api("POST", f"/v1.41/containers/create?name={name}",
                       ctr_body(["sleep", "3600"], network, ports))["Id"]
        self.made_ctrs.append(cid)
        t1 = time.perf_counter()
        self.api("POST", f"/v1.41/containers/{cid}/start")
        return cid, ms(t0, t1), ms(t1, time.perf_counter())

    def rm(self, cid):
        self.api("DELETE", f"/v1.41/containers/{cid}?force=1")
        self.made_ctrs.remove(cid)

    def bridge_networks(self):
        return [n for n in self.api("GET", "/v1.41/networks") if n.get("Driver") == "bridge"]

    def section(self, name, fn):
        try:
            fn()
        except Exception as e:  # an API error: print it whole and go on
            self.errors.append(f"{name}: {e}")
            print(f"ERROR in {name}: {e}")
            traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()

    # --- 1. lifecycle ---------------------------------------------------------
    def lifecycle(self):
        rounds = int(os.environ.get("ROUNDS", "30"))
        self.net_create("bench-user")
        # a running keeper on each bridge, as the Docker/Podman references had
        self.run_bg("keep-bridge", "bridge")
        self.run_bg("keep-user", "bench-user")
        modes = {"none": "none", "bridge": "bridge", "user": "bench-user"}
        for m in modes.values():  # warm up
            run_rm(self.sock, self.conn, ctr_body(["true"], m))
        times = {k: [] for k in modes}
        parts = {k: {} for k in modes}
        for r in range(rounds):  # interleaved, so drift lands on every mode
            for k, m in modes.items():
                times[k].append(run_rm(self.sock, self.conn, ctr_body(["true"], m), parts[k]))
        print(f"-- run --rm busybox true (create, wait, start, exit, delete); {rounds} runs per mode")
        label = {"none": "--network none", "bridge": "default bridge", "user": "user network"}
        for k in modes:
            pp = "  ".join(f"{n} {p50(v):.1f}" for n, v in parts[k].items())
            print(f"lifecycle {label[k]:<15} {fig(times[k])}   [p50 ms: {pp}]")
        base = p50(times["none"])
        for k in ("bridge", "user"):
            d = p50(times[k]) - base
            dp = {n: p50(parts[k][n]) - p50(parts["none"][n]) for n in parts[k]}
            pp = "  ".join(f"{n} {v:+.1f}" for n, v in dp.items())
            print(f"bridge data path cost ({label[k]}): {d:+.1f} ms p50 over --network none   [{pp}]")
        for k in ("bridge", "user"):
            m = p50(times[k])
            print(f"lifecycle on a bridge ({label[k]}) vs Docker {DOCKER_LIFECYCLE:.0f} ms / Podman "
                  f"{PODMAN_LIFECYCLE:.0f} ms: {DOCKER_LIFECYCLE / m:.1f}x / {PODMAN_LIFECYCLE / m:.1f}x faster")
        self.out["lifecycle"] = {k: p50(v) for k, v in times.items()}

    # --- 3. published ports and the nft rule count -----------------------------
    def ports(self):
        levels = env_list("PORT_LEVELS", "0,1,100")
        rounds = int(os.environ.get("PORT_ROUNDS", "20"))
        start = {lvl: [] for lvl in levels}
        rm = {lvl: [] for lvl in levels}
        counts = {}
        for r in range(rounds + 1):  # round 0 warms up
            for lvl in levels:
                cid, _, st = self.run_bg(f"ports{lvl}-{r}", "bridge", lvl)
                if r == 0:
                    counts[lvl] = nft_counts(self.ns)
                t0 = time.perf_counter()
                self.rm(cid)
                if r:
                    start[lvl].append(st)
                    rm[lvl].append(ms(t0, time.perf_counter()))
        print(f"-- published ports (PortBindings, host ports 20000+i, default bridge); {rounds} runs per level")
        for lvl in levels:
            print(f"start with {lvl:>3} published ports: {fig(start[lvl])}; rm -f p50 {p50(rm[lvl]):.1f} ms")
        if len(levels) > 1 and levels[-1] > levels[0]:
            lo, hi = levels[0], levels[-1]
            print(f"per published port: start {(p50(start[hi]) - p50(start[lo])) / (hi - lo):+.2f} ms, "
                  f"rm {(p50(rm[hi]) - p50(rm[lo])) / (hi - lo):+.2f} ms")
        for lvl in levels:
            rules, elems = counts[lvl]
            print(f"nft table inet berth with {lvl:>3} published ports: {rules} rules, {elems} set/map elements")
        self.out["ports_start"] = {lvl: p50(v) for lvl, v in start.items()}

    def rules_at_networks(self, levels):
        made = []
        for lvl in levels:
            while len(self.bridge_networks()) < lvl:
                made.append(self.net_create(f"bench-rules-{len(made)}"))
            n = len(self.bridge_networks())
            rules, elems = nft_counts(self.ns)
            print(f"nft table inet berth with {n:>3} bridge networks: {rules} rules, {elems} set/map elements")
        for nid in made:
            self.net_delete(nid)

    # --- 2. connect / disconnect under load -----------------------------------
    def connect(self):
        levels = env_list("CONNECT_LEVELS", "1,100,500")
        rounds = int(os.environ.get("CONNECT_ROUNDS", "30"))
        print(f"-- connect/disconnect of a running container to a network holding N running containers; "
              f"N = {','.join(map(str, levels))} (CONNECT_LEVELS); {rounds} rounds per level")
        scale = self.net_create("bench-scale", SCALE_SUBNET)
        probe = self.run_bg("probe", "bench-user")[0]
        # warm up
        self.api("POST", f"/v1.41/networks/{scale}/connect", {"Container": probe, "EndpointConfig": {}})
        self.api("POST", f"/v1.41/networks/{scale}/disconnect", {"Container": probe, "Force": False})
        running = []
        summary = {}
        for lvl in levels:
            t0 = time.perf_counter()
            starts = []
            while len(running) < lvl:
                cid, _, st = self.run_bg(f"sc{len(running)}", "bench-scale")
                running.append(cid)
                starts.append(st)
            up = time.perf_counter() - t0
            con, dis = [], []
            for _ in range(rounds):
                t1 = time.perf_counter()
                self.api("POST", f"/v1.41/networks/{scale}/connect", {"Container": probe, "EndpointConfig": {}})
                t2 = time.perf_counter()
                self.api("POST", f"/v1.41/networks/{scale}/disconnect", {"Container": probe, "Force": False})
                t3 = time.perf_counter()
                con.append(ms(t1, t2))
                dis.append(ms(t2, t3))
            if starts:
                print(f"  brought up {len(starts)} more containers on bench-scale in {up:.1f} s "
                      f"(start p50 {p50(starts):.1f} ms)")
            print(f"connect    with {lvl:>3} running on the network: {fig(con)}")
            print(f"disconnect with {lvl:>3} running on the network: {fig(dis)}   "
                  f"(berthd RSS {rss_kib(self.pid)} KiB)")
            summary[lvl] = (p50(con), p50(dis))
        m = summary[levels[0]][0]
        print(f"connect p50 ({levels[0]} running) vs Docker {DOCKER_CONNECT:.0f} ms / Podman {PODMAN_CONNECT:.0f} ms: "
              f"{DOCKER_CONNECT / m:.1f}x / {PODMAN_CONNECT / m:.1f}x faster")
        self.out["connect"] = {lvl: c for lvl, (c, d) in summary.items()}
        self.out["disconnect"] = {lvl: d for lvl, (c, d) in summary.items()}
        t0 = time.perf_counter()
        for cid in running:
            self.rm(cid)
        print(f"  removed {len(running)} running containers of bench-scale in {time.perf_counter() - t0:.1f} s")

    def cleanup(self):
        for cid in list(self.made_ctrs):
            try:
                self.rm(cid)
            except Exception as e:
                print(f"ERROR cleanup: container {cid[:12]}: {e}")
                self.errors.append(str(e))
        for nid in list(self.made_nets):
            try:
                self.net_delete(nid)
            except Exception as e:
                print(f"ERROR cleanup: network {nid[:12]}: {e}")
                self.errors.append(str(e))


def leftovers(ns, exec_root):
    links = subprocess.run(["ip", "-n", ns, "-o", "link", "show"], capture_output=True,
                           text=True).stdout.splitlines()
    d = os.path.join(exec_root, "netns")
    sandboxes = os.listdir(d) if os.path.isdir(d) else []
    return [ln.split(":")[1].strip() for ln in links], sandboxes


def main():
    sock, pid, ns, tar, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    exec_root = os.path.dirname(sock)
    b = Bench(sock, pid, ns)
    with open(tar, "rb") as f:
        call(b.conn, "POST", "/v1.41/images/create?fromSrc=-&repo=busybox&tag=latest", raw=f.read())
    links0, _ = leftovers(ns, exec_root)
    net_levels = env_list("NET_LEVELS", "1,50")
    print(f"berthd pid {pid} in netns {ns}; RSS {rss_kib(pid)} KiB")
    b.section("nft rules at 1 network", lambda: b.rules_at_networks(net_levels[:1]))
    b.section("lifecycle", b.lifecycle)
    b.section("published ports", b.ports)
    b.section("connect/disconnect", b.connect)
    b.section(f"nft rules at {net_levels[-1]} networks", lambda: b.rules_at_networks(net_levels[1:]))
    b.cleanup()
    links1, sbs = leftovers(ns, exec_root)
    extra = sorted(set(links1) - set(links0))
    print(f"after removing everything: {len(links1)} links in {ns} ({len(extra)} more than at the start"
          f"{': ' + ', '.join(extra[:10]) if extra else ''}), {len(sbs)} sandbox netns files left"
          f"; berthd RSS {rss_kib(pid)} KiB")
    if extra or sbs:
        b.errors.append("leftover links or sandboxes")
    with open(out, "w") as f:
        json.dump(b.out, f)
    if b.errors:
        print(f"{len(b.errors)} error(s): " + "; ".join(b.errors))
        sys.exit(1)


if __name__ == "__main__":
    main()
