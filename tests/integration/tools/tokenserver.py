#!/usr/bin/python3
"""tokenserver.py - a registry token service (the Docker Registry's "token"
auth: Bearer challenges), for tests.  It signs JWTs (RS256, the signing
certificate in the x5c header) that the registry checks against the same
certificate (its auth.token.rootcertbundle).

usage: tokenserver.py PORT USER:PASSWORD KEY.pem CERT.pem ISSUER LOGFILE

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]: with the
right Basic credentials every requested action is granted; without
credentials, pull only; wrong credentials: 401.  Each request is logged
as one line: "<user or -> <scopes> <status>"."""
import base64
import http.server
import json
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

PORT, CREDS, KEY, CERT, ISSUER, LOG = (int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4],
                                       sys.argv[5], sys.argv[6])
with open(KEY, "rb") as f:
    key = serialization.load_pem_private_key(f.read(), password=None)
with open(CERT, "rb") as f:
    cert = x509.load_pem_x509_certificate(f.read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Token(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            given = base64.b64decode(auth[6:]).decode()
            if given != CREDS:
                log("%s %s 401" % (given.split(":")[0], q.get("scope", [])))
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"incorrect username or password"}')
                return
            user = given.split(":")[0]
        access = []
        for scope in q.get("scope", []):
            typ, name, actions = scope.split(":")
            want = actions.split(",")
            granted = want if user else [a for a in want if a == "pull"]
            access.append({"type": typ, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        token = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
        log("%s %s 200" % (user or "-", q.get("scope", [])))
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Token).serve_forever()
