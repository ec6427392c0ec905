#!/usr/bin/python3
"""dnsbad.py - attack a DNS server with malformed and abusive input and
check that it keeps answering.

Usage: dnsbad.py [--port 53] [--good-name NAME] SERVER_IP

Each case sends something hostile over UDP or TCP and prints one line,
"case-name: OUTCOME", OUTCOME being the reply's rcode (FORMERR, NOTIMP,
BADVERS, NOERROR, NXDOMAIN, SERVFAIL, REFUSED) or "no reply", followed by
"FAIL ..." when the outcome is not an accepted one.  After every case an
ordinary A query for the good name (over UDP, and also over TCP after the
TCP cases) must get NOERROR with an A record within 2 s, retried once;
when it does not, the server is taken for dead and the run stops.

Exits 0 when every outcome is accepted and the server kept answering, 1
otherwise.  Standard library only: the integration tests run it with the
system python3, inside the network namespace of the resolver under test.
"""
import argparse
import collections
import random
import socket
import struct
import sys
import threading
import time

TYPE_A, TYPE_OPT, CLASS_IN = 1, 41, 1
FLAG_QR, FLAG_RD = 0x8000, 0x0100
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN',
          4: 'NOTIMP', 5: 'REFUSED', 16: 'BADVERS'}
NO_REPLY = 'no reply'
MALFORMED = ('FORMERR', NO_REPLY)    # what malformed input may get
WAIT = 1.0          # how long to wait for a reply that may never come
GOOD_WAIT = 2.0     # how long the good query may take, per attempt
ids = random.Random()               # query ids (unseeded: any will do)


# --- Building messages by hand ---------------------------------------------

def header(qid, flags=FLAG_RD, qd=1, an=0, ns=0, ar=0):
    return struct.pack('!6H', qid, flags, qd, an, ns, ar)


def wire_name(text):
    """text ("web", "a.b.c") in wire format, uncompressed."""
    labels = [l for l in text.encode().split(b'.') if l]
    return b''.join(bytes([len(l)]) + l for l in labels) + b'\0'


def question(text, qtype=TYPE_A):
    return wire_name(text) + struct.pack('!HH', qtype, CLASS_IN)


def opt(size=1232, version=0, rdata=b''):
    """An OPT pseudo-record: root owner, the UDP size in the class, the
    extended rcode (0 in a query), version and flags in the TTL."""
    return b'\0' + struct.pack('!HHIH', TYPE_OPT, size, version << 16, len(rdata)) + rdata


def query(qid, text, flags=FLAG_RD, edns=None):
    """A query for text's A record, with edns (an OPT) when given."""
    return header(qid, flags, ar=1 if edns else 0) + question(text) + (edns or b'')


def new_id():
    return ids.randrange(65536)


# --- Reading replies (just enough of them) ---------------------------------

Reply = collections.namedtuple('Reply', 'id flags rcode a_records')


def skip_name(msg, off):
    """The offset just past the name at off (pointers are not followed)."""
    while True:
        if off >= len(msg):
            raise ValueError('name runs past the end')
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        if n & 0xC0:
            raise ValueError('bad label type')
        off += 1 + n


def parse(msg):
    """Header fields, the full rcode (with an OPT's upper 8 bits) and how
    many A records the answer section holds; ValueError when garbled."""
    if len(msg) < 12:
        raise ValueError(f'{len(msg)} bytes, shorter than a header')
    qid, flags, qd, an, ns, ar = struct.unpack_from('!6H', msg)
    off, a_records, ext = 12, 0, 0
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    for i in range(an + ns + ar):
        off = skip_name(msg, off)
        if off + 10 > len(msg):
            raise ValueError('record runs past the end')
        rtype, _, ttl, rdlen = struct.unpack_from('!HHIH', msg, off)
        off += 10 + rdlen
        if i < an and rtype == TYPE_A:
            a_records += 1
        if i >= an + ns and rtype == TYPE_OPT:
            ext = ttl >> 24
    if off > len(msg):
        raise ValueError('record runs past the end')
    return Reply(qid, flags, ext << 4 | flags & 0xF, a_records)


def outcome(msg, qid=None):
    """The name of what msg (a reply, or None) says; qid is the id the
    reply must carry, when the query had one."""
    if msg is None:
        return NO_REPLY
    try:
        r = parse(msg)
    except ValueError as e:
        return f'garbled reply ({e})'
    if not r.flags & FLAG_QR:
        return 'reply without QR'
    if qid is not None and r.id != qid:
        return f'reply with id {r.id}, not {qid}'
    return RCODES.get(r.rcode, f'rcode {r.rcode}')


# --- Transports --------------------------------------------------------------

class Server:
    def __init__(self, ip, port, good):
        self.addr, self.good = (ip, port), good
        self.family = socket.AF_INET6 if ':' in ip else socket.AF_INET

    def udp(self):
        s = socket.socket(self.family, socket.SOCK_DGRAM)
        s.connect(self.addr)
        return s

    def tcp(self, wait=GOOD_WAIT):
        s = socket.create_connection(self.addr, timeout=wait)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


def udp_recv(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(65535)
    except (socket.timeout, ConnectionRefusedError):
        return None


def udp_ask(srv, msg, wait=WAIT):
    with srv.udp() as s:
        s.send(msg)
        return udp_recv(s, wait)


def frame(msg):
    return struct.pack('!H', len(msg)) + msg


def tcp_frames(s, count, wait):
    """Up to count length-prefixed messages read from s within wait seconds
    (fewer when the server closes or is slow)."""
    deadline, buf, frames = time.monotonic() + wait, b'', []
    while len(frames) < count:
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack_from('!H', buf)[0]:
            n = struct.unpack_from('!H', buf)[0]
            frames.append(buf[2:2 + n])
            buf = buf[2 + n:]
        left = deadline - time.monotonic()
        if len(frames) >= count or left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65537)
        except (socket.timeout, ConnectionError):
            break
        if not data:
            break
        buf += data
    return frames[:count]


def tcp_ask(srv, msg, wait=WAIT):
    with srv.tcp(wait) as s:
        s.sendall(frame(msg))
        got = tcp_frames(s, 1, wait)
    return got[0] if got else None


def good_query(srv, tcp=False):
    """None when the good name's A query is answered, else why not."""
    for _ in range(2):
        qid = new_id()
        try:
            msg = (tcp_ask if tcp else udp_ask)(srv, query(qid, srv.good), GOOD_WAIT)
            why = outcome(msg, qid)
        except OSError as e:
            why = str(e)
        if why == 'NOERROR':
            if parse(msg).a_records:
                return None
            why = 'NOERROR without an A record'
    return ('TCP: ' if tcp else 'UDP: ') + why


# --- The cases ---------------------------------------------------------------

CASES = []      # (name, accepted outcomes or None for any, over TCP?, function)


def case(name, accept, tcp=False):
    def register(fn):
        CASES.append((name, accept, tcp, fn))
        return fn
    return register


def udp_case(name, build, accept=MALFORMED, check_id=True):
    """A case sending the single datagram build(qid) over UDP."""
    def run(srv):
        qid = new_id()
        return outcome(udp_ask(srv, build(qid)), qid if check_id else None)
    case('udp-' + name, accept)(run)


LABEL63 = 'x' * 63
udp_case('empty-datagram', lambda i: b'', check_id=False)
udp_case('1-byte', lambda i: b'\x42', check_id=False)
udp_case('11-bytes', lambda i: header(i)[:11])
udp_case('header-only-qdcount-0', lambda i: header(i, qd=0))
udp_case('two-questions', lambda i: header(i, qd=2) + question('web') * 2)
udp_case('label-64-octets', lambda i: header(i) + b'\x40' + b'x' * 64 + b'\0\0\1\0\1')
udp_case('name-over-255-octets', lambda i: header(i) + question('.'.join([LABEL63] * 5)))
udp_case('pointer-loop', lambda i: header(i) + b'\xc0\x0c\0\1\0\1')
udp_case('pointer-past-end', lambda i: header(i) + b'\xff\xff\0\1\0\1')
udp_case('name-truncated', lambda i: header(i) + b'\x03web\x07exa')
udp_case('no-qtype-qclass', lambda i: header(i) + wire_name('web'))
udp_case('response-qr-set', lambda i: header(i, FLAG_QR | FLAG_RD) + question('web'),
         accept=(NO_REPLY,))
udp_case('opcode-status', lambda i: header(i, 2 << 11 | FLAG_RD) + question('web'),
         accept=('NOTIMP',))
udp_case('edns-version-1', lambda i: query(i, 'web', edns=opt(version=1)),
         accept=('BADVERS',))
udp_case('two-opt-records', lambda i: header(i, ar=2) + question('web') + opt() * 2,
         accept=('FORMERR',))
# A cookie option whose length (100) runs past the OPT's rdata (8 octets).
udp_case('opt-bad-option-length',
         lambda i: query(i, 'web', edns=opt(rdata=struct.pack('!HH', 10, 100) + bytes(8))))
udp_case('ancount-5-no-answers', lambda i: header(i, an=5) + question('web'))


@case('udp-garbage-200', None)
def udp_garbage(srv):
    """200 datagrams of seeded random bytes, half of them behind a
    plausible query header so that they reach the question parser."""
    rng, seen = random.Random(5353), collections.Counter()
    with srv.udp() as s:
        for n in range(200):
            data = bytearray(rng.randbytes(rng.randint(0, 600)))
            if n % 2 and len(data) >= 12:
                data[2:12] = header(0, qd=1, an=rng.randint(0, 1), ar=rng.randint(0, 2))[2:]
            s.send(bytes(data))
        while (msg := udp_recv(s, WAIT)) is not None:
            seen[outcome(msg)] += 1
    return 'replies: ' + (', '.join(f'{k} x{v}' for k, v in seen.most_common()) or 'none')


@case('udp-edns-size-65535', ('NOERROR',))
def udp_edns_huge(srv):
    qid = new_id()
    return outcome(udp_ask(srv, query(qid, srv.good, edns=opt(size=65535))), qid)


@case('udp-name-255-octets', ('NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED'))
def udp_name_255(srv):
    """The longest valid name, 3 x 63 + 61 octets of labels: 255 on the
    wire.  Not ours, so it may be forwarded: a longer wait."""
    qid = new_id()
    name = '.'.join([LABEL63] * 3 + ['y' * 61])
    return outcome(udp_ask(srv, query(qid, name), 6.0), qid)


@case('udp-storm-20000', None)
def udp_storm(srv):
    """20000 queries as fast as one socket sends them, never waiting;
    replies that are already there are drained in passing."""
    answered = set()
    with srv.udp() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        msgs = [query(i, srv.good) for i in range(20000)]
        for msg in msgs:
            try:
                s.send(msg)
                while True:
                    answered.add(parse(s.recv(65535, socket.MSG_DONTWAIT)).id)
            except (BlockingIOError, ConnectionRefusedError, ValueError):
                pass
        deadline = time.monotonic() + 3
        while (left := deadline - time.monotonic()) > 0:
            msg = udp_recv(s, left)
            if msg is None:
                break
            try:
                answered.add(parse(msg).id)
            except ValueError:
                pass
    return f'{len(answered)} of 20000 answered'


def tcp_send_case(name, data, accept=MALFORMED, shut=False):
    """A case sending data on a fresh TCP connection (and, with shut,
    closing our side) and reading what comes back, if anything."""
    def run(srv):
        with srv.tcp() as s:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
            got = tcp_frames(s, 1, WAIT)
        return outcome(got[0] if got else None)
    case('tcp-' + name, accept, tcp=True)(run)


@case('tcp-connect-close', (NO_REPLY,), tcp=True)
def tcp_connect_close(srv):
    srv.tcp().close()
    return NO_REPLY


tcp_send_case('short-frame-then-close', b'\0\x64' + query(1, 'web')[:10], shut=True)
tcp_send_case('frame-length-0', b'\0\0')
tcp_send_case('frame-length-1', b'\0\1\0')


@case('tcp-split-length-prefix', ('NOERROR',), tcp=True)
def tcp_split_prefix(srv):
    qid = new_id()
    data = frame(query(qid, srv.good))
    with srv.tcp() as s:
        s.sendall(data[:1])
        time.sleep(0.2)
        s.sendall(data[1:])
        got = tcp_frames(s, 1, GOOD_WAIT)
    return outcome(got[0] if got else None, qid)


@case('tcp-pipelined-2', ('NOERROR',), tcp=True)
def tcp_pipelined(srv):
    """Two queries in one send: both answered, in any order (RFC 7766)."""
    qid = new_id()
    qids = [qid, qid ^ 0x8000]          # two distinct ids
    with srv.tcp() as s:
        s.sendall(b''.join(frame(query(i, srv.good)) for i in qids))
        got = tcp_frames(s, 2, GOOD_WAIT)
    if len(got) < 2:
        return f'{len(got)} of 2 answered'
    results = [outcome(m) for m in got]
    if results != ['NOERROR', 'NOERROR']:
        return ', '.join(results)
    got_ids = sorted(parse(m).id for m in got)
    return 'NOERROR' if got_ids == sorted(qids) else f'ids {got_ids}, not {sorted(qids)}'


@case('tcp-slow-client', ('NOERROR',), tcp=True)
def tcp_slow_client(srv):
    """A query sent one byte per 100 ms on one connection, while queries on
    other connections (one mid-length-prefix, one mid-message) must each
    be answered within 1 s."""
    slow = {}

    def dribble():
        qid = new_id()
        try:
            with srv.tcp() as s:
                for b in frame(query(qid, srv.good)):
                    s.sendall(bytes([b]))
                    time.sleep(0.1)
                got = tcp_frames(s, 1, GOOD_WAIT)
            slow['res'] = outcome(got[0] if got else None, qid)
        except OSError as e:
            slow['res'] = f'error: {e}'

    t, t0, worst = threading.Thread(target=dribble), time.monotonic(), 0.0
    t.start()
    for at in (0.15, 1.0):
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        qid, start = new_id(), time.monotonic()
        res = outcome(tcp_ask(srv, query(qid, srv.good), 1.0), qid)
        worst = max(worst, time.monotonic() - start)
        if res != 'NOERROR':
            t.join()
            return f'other client got {res} within 1 s'
    t.join()
    if slow.get('res') != 'NOERROR':
        return f'slow client: {slow.get("res")}'
    return 'NOERROR', f'others answered in {worst * 1000:.0f} ms at worst'


@case('tcp-200-idle-connections', ('NOERROR',), tcp=True)
def tcp_idle(srv):
    """200 connections opened and left silent while the good query is
    asked over UDP and over a 201st TCP connection."""
    held = []
    try:
        for _ in range(200):
            held.append(srv.tcp())
        why = good_query(srv) or good_query(srv, tcp=True)
    finally:
        for s in held:
            s.close()
    return why or 'NOERROR'


tcp_send_case('malformed-message', frame(header(7) + b'\x03web\x07exa'), accept=('FORMERR',))


# --- Running them ------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description='Attack a DNS server with malformed '
                                 'and abusive queries; check that it keeps answering.')
    ap.add_argument('--port', type=int, default=53)
    ap.add_argument('--good-name', default='web',
                    help='a name the server answers with an A record (default: web)')
    ap.add_argument('server', metavar='SERVER_IP')
    args = ap.parse_args()
    srv = Server(args.server, args.port, args.good_name)

    why = good_query(srv)
    if why:
        print(f'dnsbad: the server does not answer the good query to begin with ({why})')
        return 1
    failures, started = [], time.monotonic()
    for name, accept, tcp, run in CASES:
        try:
            res = run(srv)
        except OSError as e:
            res = f'error: {e}'
        res, detail = res if isinstance(res, tuple) else (res, '')
        line = f'{name}: {res}' + (f' ({detail})' if detail else '')
        if accept is not None and res not in accept:
            line += f'  FAIL, expected {" or ".join(accept)}'
            failures.append(f'{name}: {res}')
        print(line, flush=True)
        why = good_query(srv) or (tcp and good_query(srv, tcp=True))
        if why:
            print(f'{name}: FAIL, good query for {srv.good} not answered afterwards ({why});'
                  ' stopping', flush=True)
            failures.append(f'{name}: server stopped answering ({why})')
            break
    took = time.monotonic() - started
    if failures:
        print(f'dnsbad: {len(failures)} failure(s) in {took:.1f} s:')
        for f in failures:
            print(f'  {f}')
        return 1
    print(f'dnsbad: all {len(CASES)} cases passed in {took:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
