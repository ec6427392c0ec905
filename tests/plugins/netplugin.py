#!/usr/bin/python3
"""netplugin.py - a libnetwork remote NetworkDriver + IpamDriver for tests.

Speaks the legacy (v1) Docker plugin protocol as described in
docs/reference/network-plugin-protocols.md (shared docs): POST /Interface.Method,
JSON bodies, HTTP 200 for success.  The network driver is a real one: Join
makes a Linux bridge per network and a veth pair per endpoint in the network
namespace the plugin runs in (which must be berthd's), and hands the engine
the free end to move into the container.  The IPAM driver hands out pools
(10.77.N.0/24, fd77:0:0:N::/64 unless told otherwise) and addresses.

Tests steer it with command-line options and with a fault file
(STATE_DIR/faults.json, read on every call) and read what berthd sent in
STATE_DIR/calls.log, what the plugin answered in STATE_DIR/replies.log and
what it holds in STATE_DIR/state.json.  See README.md next to this file.

Standard library only; the kernel work is done with `ip` (iproute2).
Never run it in the machine's own network namespace: it makes links.
"""
import argparse
import hashlib
import http.server
import ipaddress
import json
import os
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time

ACCEPT = 'application/vnd.docker.plugins.v1.2+json'
NOARG = {'Plugin.Activate', 'NetworkDriver.GetCapabilities',
         'IpamDriver.GetCapabilities', 'IpamDriver.GetDefaultAddressSpaces'}
GW_TYPE = 'com.docker.network.gateway'
MAC_OPT = 'com.docker.network.endpoint.macaddress'
GENERIC = 'com.docker.network.generic'
NOT_FOUND = b'404 page not found\n'      # what Go's mux answers
IFNAMSIZ = 15
DYN_V4 = '10.77.0.0/16'
DYN_V6 = 'fd77::/48'


class PluginError(Exception):
    """The call fails: answered with an error reply in the configured style."""


def truthy(v):
    return str(v).lower() in ('1', 'true', 'yes', 'on')


def is_cidr(s):
    if not isinstance(s, str) or '/' not in s:
        return False
    try:
        ipaddress.ip_interface(s)
        return True
    except ValueError:
        return False


def plain_ip(s):
    """s as an address if it is a plain IP (no mask), else None."""
    if not isinstance(s, str) or '/' in s:
        return None
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


def is_mac(s):
    parts = s.split(':') if isinstance(s, str) else []
    return len(parts) == 6 and all(len(p) == 2 and all(c in '0123456789abcdefABCDEF' for c in p)
                                   for p in parts)


def parse_routes(text):
    """'192.0.2.0/24 via 10.77.0.1, 198.51.100.0/24' -> StaticRoutes list.
    A JSON list is taken as is."""
    text = (text or '').strip()
    if not text:
        return []
    if text.startswith('['):
        return json.loads(text)
    routes = []
    for item in text.split(','):
        words = item.split()
        if not words:
            continue
        if len(words) == 3 and words[1] == 'via':
            routes.append({'Destination': words[0], 'RouteType': 0, 'NextHop': words[2]})
        elif len(words) == 1:
            routes.append({'Destination': words[0], 'RouteType': 1})
        else:
            raise ValueError(f'bad static route {item.strip()!r}: want "DEST" or "DEST via NEXTHOP"')
    return routes


# --- The kernel side: `ip` ------------------------------------------------------

class Kernel:
    def __init__(self, dry=False):
        self.ip = shutil.which('ip') or '/sbin/ip'
        self.dry = dry

    def run(self, *args, ok_errors=()):
        if self.dry:
            return ''
        p = subprocess.run([self.ip, *args], capture_output=True, text=True)
        if p.returncode != 0:
            err = p.stderr.strip()
            if any(e in err for e in ok_errors):
                return ''
            raise PluginError(f'ip {" ".join(args)}: {err or "exit " + str(p.returncode)}')
        return p.stdout

    def exists(self, name):
        if self.dry:
            return False
        return subprocess.run([self.ip, 'link', 'show', 'dev', name],
                              capture_output=True).returncode == 0

    def delete(self, name):
        if self.exists(name):
            self.run('link', 'del', 'dev', name, ok_errors=('Cannot find device',))
            return True
        return False


# --- Faults -----------------------------------------------------------------------

class Faults:
    """Faults from the command line, overridden per key by STATE_DIR/faults.json,
    which is read on every call.  Keys: "NetworkDriver.Join", "Join" (any
    interface), "*"; the first that exists (and applies) wins."""

    def __init__(self, cli, path):
        self.cli = cli
        self.path = path
        self.text = None
        self.counts = {}
        self.lock = threading.Lock()

    def load(self):
        if not self.path or not os.path.exists(self.path):
            text = ''
        else:
            try:
                with open(self.path) as f:
                    text = f.read()
            except OSError as e:
                print(f'netplugin: {self.path}: {e}', file=sys.stderr)
                text = ''
        if text != self.text:           # a new fault file: counts start again
            self.text = text
            self.counts = {}
        faults = dict(self.cli)
        if text.strip():
            try:
                loaded = json.loads(text)
                if not isinstance(loaded, dict):
                    raise ValueError('not a JSON object')
                faults.update(loaded)
            except ValueError as e:
                print(f'netplugin: {self.path}: ignored: {e}', file=sys.stderr)
        return faults

    def lookup(self, method, raw):
        with self.lock:
            faults = self.load()
            short = method.split('.', 1)[-1]
            for key in (method, short, '*'):
                f = faults.get(key)
                if not isinstance(f, dict):
                    continue
                if 'if_body' in f and f['if_body'] not in raw:
                    continue
                if 'times' in f:
                    n = self.counts.get(key, 0)
                    if n >= int(f['times']):
                        continue
                    self.counts[key] = n + 1
                return key, f
            return None, None


# --- The plugin -------------------------------------------------------------------

class Plugin:
    def __init__(self, a):
        self.a = a
        self.name = a.name
        self.implements = [s for s in a.implements.split(',') if s]
        self.kernel = Kernel(dry=a.dry_run)
        self.lock = threading.Lock()          # state
        self.log_lock = threading.Lock()
        self.seq = 0
        self.state_dir = a.state_dir
        self.static_routes = []
        for r in a.static_route:
            self.static_routes += parse_routes(r)
        cli_faults = {}
        for spec in a.fault:
            key, _, js = spec.partition('=')
            cli_faults[key] = json.loads(js)
        self.faults = Faults(cli_faults, os.path.join(a.state_dir, 'faults.json') if a.state_dir else None)
        self.state = {'networks': {}, 'endpoints': {}, 'pools': {}, 'allocated_networks': {},
                      'discovery': []}
        if self.state_dir:
            os.makedirs(self.state_dir, exist_ok=True)
            sf = os.path.join(self.state_dir, 'state.json')
            if not a.fresh and os.path.exists(sf):
                try:
                    with open(sf) as f:
                        self.state.update(json.load(f))
                    print(f'netplugin {self.name}: state restored from {sf}', file=sys.stderr)
                except (OSError, ValueError) as e:
                    print(f'netplugin {self.name}: {sf}: not restored: {e}', file=sys.stderr)
        self.methods = {
            'Plugin.Activate': self.activate,
            'NetworkDriver.GetCapabilities': self.net_caps,
            'NetworkDriver.GwAllocCheck': self.gw_alloc_check,
            'NetworkDriver.CreateNetwork': self.create_network,
            'NetworkDriver.DeleteNetwork': self.delete_network,
            'NetworkDriver.AllocateNetwork': self.allocate_network,
            'NetworkDriver.FreeNetwork': self.free_network,
            'NetworkDriver.CreateEndpoint': self.create_endpoint,
            'NetworkDriver.EndpointOperInfo': self.endpoint_info,
            'NetworkDriver.DeleteEndpoint': self.delete_endpoint,
            'NetworkDriver.Join': self.join,
            'NetworkDriver.Leave': self.leave,
            'NetworkDriver.ProgramExternalConnectivity': self.program_ext,
            'NetworkDriver.RevokeExternalConnectivity': self.revoke_ext,
            'NetworkDriver.DiscoverNew': self.discover_new,
            'NetworkDriver.DiscoverDelete': self.discover_delete,
            'IpamDriver.GetCapabilities': self.ipam_caps,
            'IpamDriver.GetDefaultAddressSpaces': self.ipam_spaces,
            'IpamDriver.RequestPool': self.request_pool,
            'IpamDriver.ReleasePool': self.release_pool,
            'IpamDriver.RequestAddress': self.request_address,
            'IpamDriver.ReleaseAddress': self.release_address,
        }
        self.readonly = {'Plugin.Activate', 'NetworkDriver.GetCapabilities',
                         'NetworkDriver.GwAllocCheck', 'NetworkDriver.EndpointOperInfo',
                         'IpamDriver.GetCapabilities', 'IpamDriver.GetDefaultAddressSpaces'}
        self.log_files = {}

    # --- files ---

    def write_log(self, which, rec):
        if not self.state_dir:
            return
        line = json.dumps(rec, sort_keys=True) + '\n'
        with self.log_lock:
            f = self.log_files.get(which)
            if f is None:
                f = self.log_files[which] = open(os.path.join(self.state_dir, which), 'a')
            f.write(line)
            f.flush()

    def save_state(self):
        if not self.state_dir:
            return
        path = os.path.join(self.state_dir, 'state.json')
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.state, f, indent=1, sort_keys=True)
            f.write('\n')
        os.replace(tmp, path)

    # --- the HTTP side ---

    def next_seq(self):
        with self.log_lock:
            self.seq += 1
            return self.seq

    def implemented(self, method):
        if method not in self.methods or method in self.a.not_implemented:
            return False
        iface = method.split('.', 1)[0]
        return iface == 'Plugin' or iface in self.implements

    def error_reply(self, method, msg, fault=None):
        """(status, object) for an error in the configured style."""
        fault = fault or {}
        style = self.a.error_style
        field = 'Err'
        status = 200
        if style == 'native' and method.startswith('IpamDriver.'):
            field = 'Error'
        elif style == 'helpers':
            status = 500
        if 'status' in fault:
            status = int(fault['status'])
        if 'field' in fault:
            field = fault['field']
        return status, {field: msg}

    def handle(self, h):
        t0 = time.monotonic()
        method = h.path.split('?', 1)[0].lstrip('/')
        warnings = []
        raw = h.read_body(warnings)
        headers = dict(h.headers.items())
        if h.command != 'POST':
            warnings.append(f'method {h.command}, not POST')
        accept = h.headers.get('Accept')
        if accept != ACCEPT:
            warnings.append(f'Accept header is {accept!r}, not {ACCEPT!r}')
        body = None
        bad_json = None
        text = raw.decode('utf-8', 'replace')
        if method in NOARG:
            if raw:
                warnings.append(f'{method} takes no arguments but the body is {len(raw)} bytes')
        elif not raw:
            warnings.append('empty body for a call that takes arguments')
        else:
            if not raw.endswith(b'\n'):
                warnings.append('body does not end with a newline')
        if raw:
            try:
                body = json.loads(text)
                if not isinstance(body, dict):
                    bad_json = 'body is not a JSON object'
            except ValueError as e:
                bad_json = f'invalid JSON: {e}'
            if bad_json:
                warnings.append(bad_json)
        seq = self.next_seq()
        fkey, fault = self.faults.lookup(method, text)
        call = {'seq': seq, 'time': time.time(), 'method': method, 'http': h.command,
                'headers': headers, 'body': body, 'warnings': warnings}
        if bad_json:
            call['raw'] = text
        if fault is not None:
            call['fault'] = {fkey: fault}
        self.write_log('calls.log', call)
        if self.a.verbose:
            print(f'netplugin {self.name}: #{seq} {method} {text.strip()}', file=sys.stderr)

        reply_warnings = []
        status, obj, rawout, ctype = self.respond(h, method, body, raw, bad_json, fault, reply_warnings)
        if status is None:                   # connection dropped on purpose
            self.write_log('replies.log', {'seq': seq, 'method': method, 'status': None,
                                           'dropped': True, 'warnings': reply_warnings,
                                           'elapsed_ms': round((time.monotonic() - t0) * 1000, 3)})
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if obj is not None:
            rawout = (json.dumps(obj) + '\n').encode()
        elapsed = round((time.monotonic() - t0) * 1000, 3)
        delivered = h.send(status, rawout, ctype)
        self.write_log('replies.log', {'seq': seq, 'method': method, 'status': status,
                                       'reply': rawout.decode('utf-8', 'replace'),
                                       'delivered': delivered,
                                       'warnings': reply_warnings, 'elapsed_ms': elapsed})
        if self.a.verbose:
            print(f'netplugin {self.name}: #{seq} -> {status} {rawout.decode("utf-8", "replace").strip()}'
                  + ('' if delivered else ' (not delivered: the client has gone)'), file=sys.stderr)

    def respond(self, h, method, body, raw, bad_json, fault, warnings):
        """-> (status, obj or None, raw bytes, content type); status None = drop."""
        ctype = self.a.content_type
        f = fault or {}
        if 'sleep' in f:
            time.sleep(float(f['sleep']))
        if f.get('exit'):
            print(f'netplugin {self.name}: exiting on fault in {method}', file=sys.stderr)
            os._exit(int(f.get('code', 3)))
        if f.get('close'):
            return None, None, b'', ctype
        if 'err' in f:
            st, obj = self.error_reply(method, str(f['err']), f)
            return st, obj, b'', ctype
        if 'status' in f:
            st = int(f['status'])
            if st == 404:
                return 404, None, NOT_FOUND, 'text/plain; charset=utf-8'
            return st, {'Err': f'injected HTTP {st}'}, b'', ctype
        if f.get('garbage'):
            g = f['garbage']
            out = g.encode() if isinstance(g, str) else b'{"Implements": ["NetworkDriver", <garbage\x00'
            return 200, None, out, ctype
        if f.get('empty'):
            return 200, None, b'', ctype
        if 'raw' in f:
            return 200, None, str(f['raw']).encode(), ctype

        if not self.implemented(method):
            return 404, None, NOT_FOUND, 'text/plain; charset=utf-8'
        if bad_json:
            return 400, {'Err': bad_json}, b'', ctype
        if method not in NOARG and not raw:
            return 400, {'Err': 'EOF'}, b'', ctype   # what go-plugins-helpers answers
        body = body or {}
        with self.lock:
            try:
                obj = self.methods[method](body, warnings)
                status = 200
            except PluginError as e:
                status, obj = self.error_reply(method, str(e))
            except Exception as e:  # a bug here must not look like a hang
                status, obj = 500, {'Err': f'netplugin internal error: {type(e).__name__}: {e}'}
                import traceback
                traceback.print_exc()
            if method not in self.readonly:
                self.save_state()
        if 'sleep_after' in f:
            time.sleep(float(f['sleep_after']))
        if f.get('exit_after'):
            print(f'netplugin {self.name}: exiting on fault after {method}', file=sys.stderr)
            os._exit(int(f.get('code', 3)))
        if f.get('close_after'):
            return None, None, b'', ctype
        if status == 200 and 'reply' in f:
            obj = f['reply']
        if status == 200 and isinstance(f.get('merge'), dict) and isinstance(obj, dict):
            obj = dict(obj)
            obj.update(f['merge'])
        return status, obj, b'', ctype

    # --- handshake ---

    def activate(self, b, w):
        return {'Implements': self.implements}

    # --- NetworkDriver ---

    def net_caps(self, b, w):
        caps = {}
        if self.a.scope != 'none':
            caps['Scope'] = self.a.scope
        cs = self.a.connectivity_scope or self.a.scope
        if cs != 'none':
            caps['ConnectivityScope'] = cs
        if self.a.gw_alloc_checker:
            caps['GwAllocChecker'] = True
        return caps

    def gw_alloc_check(self, b, w):
        skip = self.a.gw_skip.split(',') if self.a.gw_skip else []
        return {'SkipIPv4': 'v4' in skip, 'SkipIPv6': 'v6' in skip}

    def need(self, b, key):
        v = b.get(key)
        if not isinstance(v, str) or not v:
            raise PluginError(f'missing {key}')
        return v

    def network(self, nid):
        n = self.state['networks'].get(nid)
        if n is None:
            raise PluginError(f'network {nid} not found')
        return n

    def endpoint(self, nid, eid):
        e = self.state['endpoints'].get(eid)
        if e is None:
            raise PluginError(f'endpoint {eid} not found')
        if e['NetworkID'] != nid:
            raise PluginError(f'endpoint {eid} is on network {e["NetworkID"]}, not {nid}')
        return e

    def check_ipdata(self, which, data, v6, w):
        if not isinstance(data, list):
            w.append(f'{which} is not a list')
            return []
        for i, d in enumerate(data):
            where = f'{which}[{i}]'
            if not isinstance(d, dict):
                w.append(f'{where} is not an object')
                continue
            try:
                pool = ipaddress.ip_network(d.get('Pool', ''))
                if pool.version != (6 if v6 else 4):
                    w.append(f'{where}.Pool {pool} is the wrong family')
            except ValueError:
                w.append(f'{where}.Pool {d.get("Pool")!r} is not a CIDR')
                pool = None
            if not d.get('AddressSpace'):
                w.append(f'{where}.AddressSpace missing')
            gw = d.get('Gateway')
            if gw is not None:
                if not is_cidr(gw):
                    w.append(f'{where}.Gateway {gw!r} is not in CIDR form')
                elif pool and ipaddress.ip_interface(gw).network.prefixlen != pool.prefixlen:
                    w.append(f'{where}.Gateway {gw} does not carry the pool prefix /{pool.prefixlen}')
            aux = d.get('AuxAddresses')
            if aux is not None:
                if not isinstance(aux, dict):
                    w.append(f'{where}.AuxAddresses is not an object')
                else:
                    for k, v in aux.items():
                        if not is_cidr(v):
                            w.append(f'{where}.AuxAddresses[{k}] {v!r} is not in CIDR form')
        return data

    def create_network(self, b, w):
        nid = self.need(b, 'NetworkID')
        opts = b.get('Options')
        if not isinstance(opts, dict):
            w.append('Options is not an object')
            opts = {}
        generic = opts.get(GENERIC)
        if generic is None:
            w.append(f'Options has no {GENERIC}')
            generic = {}
        elif not isinstance(generic, dict):
            w.append(f'{GENERIC} is not an object')
            generic = {}
        if 'com.docker.network.enable_ipv6' not in opts:
            w.append('Options has no com.docker.network.enable_ipv6')
        v4 = self.check_ipdata('IPv4Data', b.get('IPv4Data', []), False, w)
        v6 = self.check_ipdata('IPv6Data', b.get('IPv6Data', []), True, w)
        if nid in self.state['networks']:
            w.append(f'network {nid} created again')
        bridge = generic.get('tp.bridge') or f'{self.a.ifprefix}{nid[:8]}'
        if len(bridge) > IFNAMSIZ:
            raise PluginError(f'bridge name {bridge!r} is longer than {IFNAMSIZ}')
        self.state['networks'][nid] = {
            'NetworkID': nid, 'Options': opts, 'IPv4Data': v4, 'IPv6Data': v6,
            'generic': generic, 'bridge': bridge,
            'bridge_created': self.state['networks'].get(nid, {}).get('bridge_created', False),
            'internal': truthy(opts.get('com.docker.network.internal', False)),
        }
        return {}

    def delete_network(self, b, w):
        nid = self.need(b, 'NetworkID')
        n = self.state['networks'].get(nid)
        if n is None:
            w.append(f'DeleteNetwork of unknown network {nid}')
            return {}
        for eid, e in list(self.state['endpoints'].items()):
            if e['NetworkID'] == nid:
                w.append(f'endpoint {eid} still exists at DeleteNetwork; removed')
                self.kernel.delete(e['veth_host'])
                del self.state['endpoints'][eid]
        if n.get('bridge_created'):
            self.kernel.delete(n['bridge'])
        del self.state['networks'][nid]
        return {}

    def allocate_network(self, b, w):
        nid = self.need(b, 'NetworkID')
        self.state['allocated_networks'][nid] = b
        return {'Options': {'tp.allocated-by': self.name}}

    def free_network(self, b, w):
        nid = self.need(b, 'NetworkID')
        if self.state['allocated_networks'].pop(nid, None) is None:
            w.append(f'FreeNetwork of unknown network {nid}')
        return {}

    def mac_for(self, eid):
        d = hashlib.sha256(eid.encode()).digest()
        return '02:7e:' + ':'.join(f'{x:02x}' for x in d[:4])

    def create_endpoint(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        n = self.network(nid)
        old = self.state['endpoints'].get(eid)
        if old is not None:
            # the same request again (an engine retrying after a dropped
            # connection) gets the same answer; anything else is an error
            if old.get('request') == b:
                w.append(f'CreateEndpoint {eid} repeated; same answer')
                return old['reply']
            raise PluginError(f'endpoint {eid} exists')
        iface = b.get('Interface')
        if not isinstance(iface, dict):
            w.append('Interface is not an object')
            iface = {}
        for k in ('Address', 'AddressIPv6', 'MacAddress'):
            if k not in iface:
                w.append(f'Interface.{k} missing')
        for k in ('Address', 'AddressIPv6'):
            v = iface.get(k) or ''
            if v and not is_cidr(v):
                w.append(f'Interface.{k} {v!r} is not in CIDR form')
        mac = iface.get('MacAddress') or ''
        if mac and not is_mac(mac):
            w.append(f'Interface.MacAddress {mac!r} is not aa:bb:cc:dd:ee:ff')
        opts = b.get('Options')
        if not isinstance(opts, dict):
            w.append('Options is not an object')
            opts = {}
        reply_iface = {}
        mac_reply = n['generic'].get('tp.mac_reply')
        mac_reply = self.a.mac_reply if mac_reply is None else truthy(mac_reply)
        if not mac and mac_reply:
            mac = self.mac_for(eid)
            reply_iface['MacAddress'] = mac
        host = f'{self.a.ifprefix}h{eid[:8]}'
        peer = f'{self.a.ifprefix}c{eid[:8]}'
        if len(peer) > IFNAMSIZ:
            raise PluginError(f'interface name {peer!r} is longer than {IFNAMSIZ}: shorten --ifprefix')
        reply = {'Interface': reply_iface} if reply_iface else {}
        self.state['endpoints'][eid] = {
            'NetworkID': nid, 'EndpointID': eid, 'Interface': iface, 'Options': opts,
            'mac': mac, 'mac_from_plugin': bool(reply_iface), 'veth_host': host, 'veth_peer': peer,
            'joined': False, 'SandboxKey': None, 'JoinOptions': None, 'external': None,
            'request': b, 'reply': reply,
        }
        return reply

    def endpoint_info(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        e = self.endpoint(nid, eid)
        n = self.network(nid)
        return {'Value': {'tp.plugin': self.name, 'tp.bridge': n['bridge'],
                          'tp.veth': e['veth_host'], 'tp.joined': e['joined']}}

    def delete_endpoint(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        e = self.state['endpoints'].get(eid)
        if e is None:
            w.append(f'DeleteEndpoint of unknown endpoint {eid}')
            return {}
        if e['NetworkID'] != nid:
            raise PluginError(f'endpoint {eid} is on network {e["NetworkID"]}, not {nid}')
        if e['joined']:
            w.append(f'endpoint {eid} deleted while joined (no Leave)')
        if e.get('external') is not None:
            w.append(f'endpoint {eid} deleted with external connectivity programmed')
        self.kernel.delete(e['veth_host'])
        del self.state['endpoints'][eid]
        return {}

    def ensure_bridge(self, n, w):
        br = n['bridge']
        k = self.kernel
        if not k.exists(br):
            k.run('link', 'add', 'name', br, 'type', 'bridge')
            n['bridge_created'] = True
        k.run('link', 'set', 'dev', br, 'up')
        for d in n['IPv4Data']:
            if isinstance(d, dict) and is_cidr(d.get('Gateway')):
                k.run('addr', 'add', d['Gateway'], 'dev', br,
                      ok_errors=('File exists', 'already assigned'))
        for d in n['IPv6Data']:
            if isinstance(d, dict) and is_cidr(d.get('Gateway')):
                try:
                    if not k.dry:
                        with open(f'/proc/sys/net/ipv6/conf/{br}/disable_ipv6', 'w') as f:
                            f.write('0')
                    k.run('-6', 'addr', 'add', d['Gateway'], 'dev', br, 'nodad',
                          ok_errors=('File exists', 'already assigned'))
                except (OSError, PluginError) as e:
                    w.append(f'IPv6 gateway on {br}: {e}')

    def join(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        n = self.network(nid)
        e = self.endpoint(nid, eid)
        if e['joined']:
            # a repeated Join whose interface is still here (the engine never
            # got the answer) is answered again; otherwise it is an error
            if e.get('join_reply') and self.kernel.exists(e['veth_peer']):
                w.append(f'Join of {eid} repeated before its interface was taken; same answer')
                return e['join_reply']
            raise PluginError(f'endpoint {eid} already joined')
        if not b.get('SandboxKey'):
            w.append('SandboxKey missing')
        if 'Options' in b and b['Options'] is not None and not isinstance(b['Options'], dict):
            w.append('Options is not an object')
        self.ensure_bridge(n, w)
        k = self.kernel
        host, peer = e['veth_host'], e['veth_peer']
        for name in (host, peer):
            if k.delete(name):
                w.append(f'stale {name} deleted')
        k.run('link', 'add', 'name', host, 'type', 'veth', 'peer', 'name', peer)
        try:
            k.run('link', 'set', 'dev', host, 'master', n['bridge'])
            k.run('link', 'set', 'dev', host, 'up')
        except PluginError:
            k.delete(host)
            raise
        e['joined'] = True
        e['SandboxKey'] = b.get('SandboxKey')
        e['JoinOptions'] = b.get('Options')
        g = n['generic']
        reply = {'InterfaceName': {'SrcName': peer, 'DstPrefix': self.a.dst_prefix}}
        no_gw = truthy(g.get('tp.no_gateway', self.a.no_gateway))
        if not no_gw:
            for d in n['IPv4Data']:
                if isinstance(d, dict) and is_cidr(d.get('Gateway')):
                    reply['Gateway'] = d['Gateway'].split('/')[0]
                    break
            for d in n['IPv6Data']:
                if isinstance(d, dict) and is_cidr(d.get('Gateway')):
                    reply['GatewayIPv6'] = d['Gateway'].split('/')[0]
                    break
        routes = list(self.static_routes)
        if g.get('tp.static_routes'):
            try:
                routes += parse_routes(g['tp.static_routes'])
            except ValueError as ex:
                raise PluginError(str(ex))
        if routes:
            reply['StaticRoutes'] = routes
        if truthy(g.get('tp.disable_gateway_service', self.a.disable_gateway_service)):
            reply['DisableGatewayService'] = True
        e['join_reply'] = reply
        return reply

    def leave(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        e = self.endpoint(nid, eid)
        if not e['joined']:
            w.append(f'Leave of endpoint {eid} that is not joined')
        if e.get('external') is not None:
            w.append(f'Leave of endpoint {eid} with external connectivity still programmed')
        if self.a.delete_veth_on == 'leave':
            self.kernel.delete(e['veth_host'])
        e['joined'] = False
        return {}

    def program_ext(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        e = self.endpoint(nid, eid)
        if not e['joined']:
            w.append(f'ProgramExternalConnectivity of endpoint {eid} that is not joined')
        if self.network(nid)['internal']:
            w.append(f'ProgramExternalConnectivity on internal network {nid}')
        e['external'] = b.get('Options') or {}
        return {}

    def revoke_ext(self, b, w):
        nid = self.need(b, 'NetworkID')
        eid = self.need(b, 'EndpointID')
        e = self.state['endpoints'].get(eid)
        if e is None or e['NetworkID'] != nid:
            w.append(f'RevokeExternalConnectivity of unknown endpoint {eid}')
            return {}
        if e.get('external') is None:
            w.append(f'RevokeExternalConnectivity of endpoint {eid} that was not programmed')
        e['external'] = None
        return {}

    def discover_new(self, b, w):
        self.state['discovery'].append({'new': b})
        return {}

    def discover_delete(self, b, w):
        self.state['discovery'].append({'delete': b})
        return {}

    # --- IpamDriver ---

    def ipam_caps(self, b, w):
        return {'RequiresMACAddress': self.a.requires_mac,
                'RequiresRequestReplay': self.a.requires_replay}

    def ipam_spaces(self, b, w):
        return {'LocalDefaultAddressSpace': self.a.local_space,
                'GlobalDefaultAddressSpace': self.a.global_space}

    def pool(self, pid):
        p = self.state['pools'].get(pid)
        if p is None:
            raise PluginError(f'unknown pool id {pid!r}')
        return p

    def dynamic_pool(self, v6):
        base = ipaddress.ip_network(self.a.pool_base6 if v6 else self.a.pool_base)
        plen = self.a.pool_prefix6 if v6 else self.a.pool_prefix
        used = [ipaddress.ip_network(p['Pool']) for p in self.state['pools'].values()]
        for i, cand in enumerate(base.subnets(new_prefix=plen)):
            if i >= self.a.max_pools:
                break
            if not any(cand.version == u.version and cand.overlaps(u) for u in used):
                return cand
        raise PluginError(f'no free pool: all {self.a.max_pools} pools of {base} are in use')

    @staticmethod
    def host_bounds(net, rng):
        """First and last address (as ints) that may be handed out in rng (net
        or a sub-pool of it): not the network address, not the IPv4 broadcast
        (of rng, and so of net, unless rng is a /31, /32 or /127, /128)."""
        first, last = int(rng.network_address), int(rng.broadcast_address)
        if rng.prefixlen < (31 if rng.version == 4 else 127):
            first += 1
            if rng.version == 4:
                last -= 1
        return first, last

    def request_pool(self, b, w):
        space = b.get('AddressSpace') or ''
        pool = b.get('Pool') or ''
        sub = b.get('SubPool') or ''
        v6 = b.get('V6')
        if not isinstance(v6, bool):
            w.append('V6 missing or not a bool')
        v6 = bool(v6)
        opts = b.get('Options')
        if opts is not None and not isinstance(opts, dict):
            w.append('Options is not an object')
        opts = opts if isinstance(opts, dict) else {}
        if space not in (self.a.local_space, self.a.global_space):
            w.append(f'AddressSpace {space!r} is not one of ours')
        if sub and not pool:
            raise PluginError('SubPool given without Pool')
        if pool:
            try:
                net = ipaddress.ip_network(pool)
            except ValueError as e:
                raise PluginError(f'invalid pool {pool!r}: {e}')
            if net.version != (6 if v6 else 4):
                raise PluginError(f'pool {pool} does not match V6={v6}')
            subnet = None
            if sub:
                try:
                    subnet = ipaddress.ip_network(sub)
                except ValueError as e:
                    raise PluginError(f'invalid sub-pool {sub!r}: {e}')
                if subnet.version != net.version or not subnet.subnet_of(net):
                    raise PluginError(f'sub-pool {sub} is not inside {pool}')
            pid = f'{space}/{net}' + (f'/{subnet}' if subnet else '')
            if pid in self.state['pools']:
                p = self.state['pools'][pid]
                p['refs'] += 1
                return {'PoolID': pid, 'Pool': p['Pool'], 'Data': p['Data']}
            for op in self.state['pools'].values():
                o = ipaddress.ip_network(op['Pool'])
                if op['AddressSpace'] == space and o.version == net.version and o.overlaps(net) \
                        and o != net:
                    raise PluginError(f'pool {net} overlaps pool {o}')
        else:
            net = self.dynamic_pool(v6)
            sub = ''
            pid = f'{space}/{net}'
        gw_in_data = truthy(opts.get('tp.gateway_in_data', self.a.gateway_in_data))
        data = {}
        allocated = {}
        if gw_in_data:
            first, _ = self.host_bounds(net, net)
            gw = ipaddress.ip_address(first)
            data[GW_TYPE] = f'{gw}/{net.prefixlen}'
            allocated[str(gw)] = {'type': 'data-gateway'}
        self.state['pools'][pid] = {
            'PoolID': pid, 'AddressSpace': space, 'Pool': str(net), 'SubPool': sub, 'V6': v6,
            'Options': opts, 'Data': data, 'refs': 1, 'allocated': allocated,
        }
        return {'PoolID': pid, 'Pool': str(net), 'Data': data}

    def release_pool(self, b, w):
        pid = self.need(b, 'PoolID')
        p = self.pool(pid)
        p['refs'] -= 1
        if p['refs'] <= 0:
            left = [a for a, v in p['allocated'].items() if v.get('type') != 'data-gateway']
            if left:
                w.append(f'pool {pid} released with addresses still allocated: {", ".join(left)}')
            del self.state['pools'][pid]
        return {}

    def request_address(self, b, w):
        pid = self.need(b, 'PoolID')
        p = self.pool(pid)
        net = ipaddress.ip_network(p['Pool'])
        addr = b.get('Address') or ''
        opts = b.get('Options')
        if opts is not None and not isinstance(opts, dict):
            w.append('Options is not an object')
        opts = opts if isinstance(opts, dict) else {}
        is_gw = opts.get('RequestAddressType') == GW_TYPE
        mac = opts.get(MAC_OPT)
        if mac is not None and not is_mac(mac):
            w.append(f'{MAC_OPT} {mac!r} is not aa:bb:cc:dd:ee:ff')
        if self.a.requires_mac and not is_gw and not addr and not mac:
            w.append(f'RequiresMACAddress is set but {MAC_OPT} is missing')
        alloc = p['allocated']
        if addr:
            ip = plain_ip(addr)
            if ip is None:
                raise PluginError(f'Address {addr!r} is not a plain IP address')
            if ip not in net:
                raise PluginError(f'address {ip} is not in pool {net}')
            first, last = self.host_bounds(net, net)
            if not first <= int(ip) <= last:
                raise PluginError(f'address {ip} cannot be handed out in {net}')
            have = alloc.get(str(ip))
            if have is not None and not (is_gw and have.get('type') == 'data-gateway'):
                raise PluginError(f'address {ip} already in use')
            kind = 'gateway' if is_gw else 'static'
        else:
            rng = net
            if p['SubPool'] and not is_gw:
                rng = ipaddress.ip_network(p['SubPool'])
            first, last = self.host_bounds(net, rng)
            ip = None
            for i in range(first, min(last, first + 65535) + 1):
                if str(ipaddress.ip_address(i)) not in alloc:
                    ip = ipaddress.ip_address(i)
                    break
            if ip is None:
                raise PluginError(f'no available addresses in pool {pid}')
            kind = 'gateway' if is_gw else 'dynamic'
        alloc[str(ip)] = {'type': kind, 'mac': mac}
        return {'Address': f'{ip}/{net.prefixlen}', 'Data': {}}

    def release_address(self, b, w):
        pid = self.need(b, 'PoolID')
        p = self.pool(pid)
        addr = b.get('Address') or ''
        ip = plain_ip(addr)
        if ip is None:
            raise PluginError(f'Address {addr!r} is not a plain IP address')
        if p['allocated'].pop(str(ip), None) is None:
            raise PluginError(f'address {ip} is not allocated in pool {pid}')
        return {}

    # --- exit ---

    def cleanup(self):
        with self.lock:
            for e in self.state['endpoints'].values():
                self.kernel.delete(e['veth_host'])
            for n in self.state['networks'].values():
                if n.get('bridge_created'):
                    self.kernel.delete(n['bridge'])


# --- Servers ----------------------------------------------------------------------

def make_handler(plugin):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'netplugin/1'
        sys_version = ''

        def address_string(self):
            ca = self.client_address
            return ca[0] if isinstance(ca, tuple) and ca else 'unix'

        def log_message(self, fmt, *args):
            if plugin.a.verbose:
                sys.stderr.write(f'netplugin {plugin.name}: {self.address_string()} {fmt % args}\n')

        def read_body(self, warnings):
            if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
                warnings.append('chunked request body')
                out = b''
                while True:
                    size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                    if size == 0:
                        while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                            pass
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            cl = self.headers.get('Content-Length')
            if cl is None:
                warnings.append('no Content-Length header')
                return b''
            return self.rfile.read(int(cl))

        def send(self, status, body, ctype):
            try:
                self.send_response(status)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                return True
            except OSError:       # the engine gave up on us (timeout)
                self.close_connection = True
                return False

        def do_POST(self):
            plugin.handle(self)

        do_GET = do_PUT = do_DELETE = do_HEAD = do_POST

    return Handler


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def server_bind(self):
        path = self.server_address
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        super().server_bind()


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


def write_file(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description='libnetwork remote NetworkDriver/IpamDriver for tests')
    ap.add_argument('--sock', help='listen on this unix socket (parent directories are made)')
    ap.add_argument('--tcp', help='listen on HOST:PORT (PORT 0: any; the port goes to STATE_DIR/port)')
    ap.add_argument('--tls-cert', help='with --tcp: serve HTTPS with this certificate')
    ap.add_argument('--tls-key', help='with --tls-cert: its key')
    ap.add_argument('--tls-client-ca', help='with --tls-cert: require client certificates signed by this CA')
    ap.add_argument('--name', help='plugin name (default: socket file name without .sock, else "netplugin")')
    ap.add_argument('--implements', default='NetworkDriver,IpamDriver',
                    help='comma list for Plugin.Activate (default NetworkDriver,IpamDriver); '
                         'the other interface\'s methods then answer 404')
    ap.add_argument('--scope', default='local', help='GetCapabilities Scope (local, global; '
                    '"none" leaves it out; anything else is sent as is)')
    ap.add_argument('--connectivity-scope', help='ConnectivityScope (default: same as --scope; "none" leaves it out)')
    ap.add_argument('--gw-alloc-checker', action='store_true', help='GwAllocChecker: true in capabilities')
    ap.add_argument('--gw-skip', default='', help='GwAllocCheck answer: comma list of v4,v6 to skip')
    ap.add_argument('--state-dir', help='calls.log, replies.log, state.json, faults.json, pid, port')
    ap.add_argument('--pidfile', help='default STATE_DIR/netplugin.pid; written once listening')
    ap.add_argument('--spec', help='once listening, write our address (unix://..., tcp://..., https://...) to this .spec file')
    ap.add_argument('--json-spec', help='once listening, write {"Name","Addr"} to this .json file')
    ap.add_argument('--fresh', action='store_true', help='do not restore STATE_DIR/state.json')
    ap.add_argument('--fault', action='append', default=[], metavar='KEY=JSON',
                    help='a fault as in faults.json, e.g. \'Join={"err":"no"}\' (repeatable)')
    ap.add_argument('--error-style', choices=('native', 'helpers', 'err200'), default='native',
                    help='native: 200 + Err (NetworkDriver) / 200 + Error (IpamDriver); '
                         'helpers: 500 + Err (go-plugins-helpers); err200: 200 + Err everywhere')
    ap.add_argument('--not-implemented', action='append', default=[], metavar='METHOD',
                    help='answer 404 for this Interface.Method (repeatable, or comma list)')
    ap.add_argument('--content-type', default='application/vnd.docker.plugins.v1+json')
    ap.add_argument('--mac-reply', action='store_true',
                    help='CreateEndpoint without a MAC: reply Interface.MacAddress 02:7e:...')
    ap.add_argument('--no-gateway', action='store_true', help='Join replies without Gateway/GatewayIPv6')
    ap.add_argument('--disable-gateway-service', action='store_true', help='Join replies DisableGatewayService: true')
    ap.add_argument('--static-route', action='append', default=[], metavar='ROUTES',
                    help='Join StaticRoutes: "DEST via NEXTHOP" or "DEST" (on-link), comma separated, repeatable')
    ap.add_argument('--dst-prefix', default='eth', help='Join InterfaceName.DstPrefix (default eth)')
    ap.add_argument('--ifprefix', default='tp', help='prefix of our link names (default tp: tpNNNNNNNN bridges, '
                    'tphNNNNNNNN/tpcNNNNNNNN veths)')
    ap.add_argument('--delete-veth-on', choices=('leave', 'delete'), default='leave',
                    help='delete the veth pair at Leave (default) or only at DeleteEndpoint')
    ap.add_argument('--requires-mac', action='store_true', help='IPAM RequiresMACAddress: true')
    ap.add_argument('--requires-replay', action='store_true', help='IPAM RequiresRequestReplay: true')
    ap.add_argument('--local-space', default='tplocal')
    ap.add_argument('--global-space', default='tpglobal')
    ap.add_argument('--pool-base', default=DYN_V4, help=f'dynamic IPv4 pools come from here (default {DYN_V4})')
    ap.add_argument('--pool-prefix', type=int, default=24)
    ap.add_argument('--pool-base6', default=DYN_V6, help=f'dynamic IPv6 pools (default {DYN_V6})')
    ap.add_argument('--pool-prefix6', type=int, default=64)
    ap.add_argument('--max-pools', type=int, default=256, help='at most this many dynamic pools per family')
    ap.add_argument('--gateway-in-data', action='store_true',
                    help=f'RequestPool Data carries {GW_TYPE} (the pool\'s first address, reserved)')
    ap.add_argument('--cleanup', action='store_true', help='on SIGTERM delete our veths and bridges')
    ap.add_argument('--dry-run', action='store_true', help='do not run ip (protocol tests only)')
    ap.add_argument('-v', '--verbose', action='store_true', help='log every call to stderr')
    a = ap.parse_args()
    if not a.sock and not a.tcp:
        ap.error('give --sock PATH and/or --tcp HOST:PORT')
    if a.tls_cert and not a.tcp:
        ap.error('--tls-cert needs --tcp')
    a.not_implemented = {m for s in a.not_implemented for m in s.split(',') if m}
    if not a.name:
        a.name = os.path.basename(a.sock)[:-5] if a.sock and a.sock.endswith('.sock') else 'netplugin'
    if a.state_dir and not a.pidfile:
        a.pidfile = os.path.join(a.state_dir, 'netplugin.pid')

    plugin = Plugin(a)
    handler = make_handler(plugin)
    servers = []
    addrs = []
    if a.sock:
        s = UnixServer(a.sock, handler)
        servers.append(s)
        addrs.append('unix://' + os.path.abspath(a.sock))
    if a.tcp:
        host, _, port = a.tcp.rpartition(':')
        s = TCPServer((host.strip('[]') or '127.0.0.1', int(port)), handler)
        scheme = 'tcp'
        if a.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(a.tls_cert, a.tls_key)
            if a.tls_client_ca:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(a.tls_client_ca)
            # the handshake happens in the request's thread, not in accept()
            s.socket = ctx.wrap_socket(s.socket, server_side=True, do_handshake_on_connect=False)
            scheme = 'https'
        h, p = s.server_address[:2]
        servers.append(s)
        addrs.append(f'{scheme}://{h}:{p}')
        if a.state_dir:
            write_file(os.path.join(a.state_dir, 'port'), f'{p}\n')

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    if a.spec:
        write_file(a.spec, addrs[-1] + '\n')
    if a.json_spec:
        write_file(a.json_spec, json.dumps({'Name': a.name, 'Addr': addrs[-1]}) + '\n')
    if a.pidfile:
        write_file(a.pidfile, f'{os.getpid()}\n')
    print(f'netplugin {a.name}: listening on {" ".join(addrs)} (pid {os.getpid()}, '
          f'implements {",".join(plugin.implements)})', flush=True)

    while not stop.wait(0.5):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    if a.sock:
        try:
            os.unlink(a.sock)
        except OSError:
            pass
    if a.cleanup:
        plugin.cleanup()
    if a.pidfile:
        try:
            os.unlink(a.pidfile)
        except OSError:
            pass
    print(f'netplugin {a.name}: stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
