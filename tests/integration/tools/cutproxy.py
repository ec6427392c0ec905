#!/usr/bin/python3
"""cutproxy.py - a registry's faulty front, for tests of interrupted
downloads: it forwards every request to UPSTREAM (plain http) and, for
GETs of blobs, sends only the first half of the body and closes the
connection, CUTS times in all (then the whole answer).  Range requests are
forwarded as they are, so a client that resumes gets the rest.

usage: cutproxy.py LISTEN_PORT UPSTREAM_HOST:PORT CUTS LOGFILE

Each request is logged as one line: METHOD PATH RANGE STATUS SENT."""
import http.client
import http.server
import sys
import threading

PORT, UPSTREAM, CUTS, LOG = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
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
