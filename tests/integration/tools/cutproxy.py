#!/usr/bin/python3
"""cutproxy.py - a registry's faulty front, for tests of interrupted
downloads: it forwards every request to UPSTREAM (plain http) and, for
GETs of blobs, sends only the first half of the body and closes the
connection, CUTS times in all (then the whole answer).  Range requests are
forwarded as they are, so a client that resumes gets the rest.  CUTS
"slow" instead sends blobs 64 KiB every 50 ms, cutting nothing.

usage: cutproxy.py LISTEN_PORT UPSTREAM_HOST:PORT CUTS|slow LOGFILE

Each request is logged as one line: METHOD PATH RANGE STATUS SENT."""
import http.client
import http.server
import sys
import threading
import time

PORT, UPSTREAM, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[4]
SLOW = sys.argv[3] == "slow"
CUTS = 0 if SLOW else int(sys.argv[3])
lock = threading.Lock()
cuts_left = [CUTS]


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        up = http.client.HTTPConnection(UPSTREAM, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        up.request(self.command, self.path, body=body, headers=hdrs)
        r = up.getresponse()
        data = r.read()
        cut = False
        if self.command == "GET" and "/blobs/sha256:" in self.path and len(data) > 1024:
            with lock:
                if cuts_left[0] > 0:
                    cuts_left[0] -= 1
                    cut = True
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        sent = len(data) // 2 if cut else len(data)
        if SLOW and "/blobs/sha256:" in self.path:
            for off in range(0, sent, 65536):
                self.wfile.write(data[off:min(off + 65536, sent)])
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self.wfile.write(data[:sent])
            self.wfile.flush()
        log("%s %s %s %d %d" % (self.command, self.path, self.headers.get("Range", "-"),
                                r.status, sent))
        if cut:
            self.close_connection = True
            self.connection.shutdown(2)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
