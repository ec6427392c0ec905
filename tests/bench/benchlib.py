"""benchlib.py - what the bridge benchmarks share: HTTP over berthd's unix
socket, percentiles, one `run --rm` lifecycle, the multiplexed log stream,
and nft rule counting inside the benchmark's namespace."""
import http.client
import json
import socket
import statistics
import subprocess
import threading
import time


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class APIError(RuntimeError):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path}: {status} {body!r}")
        self.status = status


def call(conn, method, path, body=None, raw=None):
    """One request; JSON in and out.  Raises APIError on a status >= 300
    (304 excepted)."""
    headers, data = {}, None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
        headers["Content-Type"] = "application/x-tar"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    out = resp.read()
    if resp.status >= 300 and resp.status != 304:
        raise APIError(method, path, resp.status, out)
    return json.loads(out) if out and out[:1] in b"{[" else out


def ms(t0, t1):
    return (t1 - t0) * 1000


def pct(xs, p):
    """Nearest rank on the sorted samples (with fewer than 100 samples the
    p99 is the largest one)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def p50(xs):
    return statistics.median(xs)


def fig(xs):
    """'p50 X ms, p99 Y ms (n N)'"""
    return f"p50 {p50(xs):7.1f} ms, p99 {pct(xs, 99):7.1f} ms (n {len(xs)})"


def run_rm(sock, conn, body, parts=None):
    """One `docker run --rm` as the CLI drives it: create, wait (on its own
    connection, sent before start), start, the wait's answer (exit), delete.
    Returns the total in ms; adds each part to parts (a dict of lists)."""
    t0 = time.perf_counter()
    cid = call(conn, "POST", "/v1.41/containers/create", body)["Id"]
    t1 = time.perf_counter()
    wconn = UnixConn(sock)
    result = {}

    def waiter():
        try:
            result["wait"] = call(wconn, "POST", f"/v1.41/containers/{cid}/wait?condition=next-exit")
        except Exception as e:  # reported below
            result["error"] = e

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0)
    call(conn, "POST", f"/v1.41/containers/{cid}/start")
    t2 = time.perf_counter()
    th.join()
    t3 = time.perf_counter()
    wconn.close()
    if "error" in result:
        raise result["error"]
    call(conn, "DELETE", f"/v1.41/containers/{cid}")
    t4 = time.perf_counter()
    if parts is not None:
        for k, v in (("create", ms(t0, t1)), ("start", ms(t1, t2)), ("exit", ms(t2, t3)),
                     ("delete", ms(t3, t4))):
            parts.setdefault(k, []).append(v)
    return ms(t0, t4)


def logs(conn, cid):
    """stdout and stderr of a container (no tty: the 8-byte framed stream)."""
    conn.request("GET", f"/v1.41/containers/{cid}/logs?stdout=1&stderr=1")
    resp = conn.getresponse()
    data = resp.read()
    if resp.status >= 300:
        raise APIError("GET", f"/containers/{cid}/logs", resp.status, data)
    out, i = bytearray(), 0
    while i + 8 <= len(data):
        n = int.from_bytes(data[i + 4:i + 8], "big")
        out += data[i + 8:i + 8 + n]
        i += 8 + n
    return bytes(out).decode(errors="replace")


def nft_counts(ns, table="berth", family="inet"):
    """(rules, set/map elements) of berth's table in namespace ns; (None,
    None) when nft cannot list it."""
    p = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "table", family, table],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, None
    objs = json.loads(p.stdout).get("nftables", [])
    rules = sum(1 for o in objs if "rule" in o)
    elems = sum(len(o[k].get("elem", [])) for o in objs for k in ("set", "map") if k in o)
    return rules, elems


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
