#!/bin/bash
# selftest.sh - drive netplugin.py by hand (curl) inside a private network
# namespace, as a remote-driver engine would, and check its answers and the
# links it makes.  Needs root, ip, curl, python3.  Nothing is made in the
# machine's own namespace; the namespace and files go on exit.
#
#   sudo tests/plugins/selftest.sh
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "selftest.sh: needs root" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
PLUGIN=$HERE/netplugin.py
NS=tp-test-$$
TMP=$(mktemp -d /tmp/tp-$$.XXXXXX)
SOCK=$TMP/run/plugins/tp.sock
STATE=$TMP/state
PID=
ACCEPT='application/vnd.docker.plugins.v1.2+json'
NID=4c58aa11bb22cc33dd44ee55ff660000111122223333444455556666777788889
EID=ec2a99887766554433221100ffeeddccbbaa00998877665544332211000fedcb
EID2=ab12000000000000000000000000000000000000000000000000000000000000
fails=0

cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
inns() { ip netns exec "$NS" "$@"; }

start() {   # start [ARGS...]: (re)start the plugin with the standard options
	rm -f "$STATE/netplugin.pid"
	# not through inns: $! must be the plugin itself (ip netns exec execs it)
	ip netns exec "$NS" /usr/bin/python3 "$PLUGIN" --sock "$SOCK" --state-dir "$STATE" "$@" \
		>>"$TMP/plugin.out" 2>&1 &
	PID=$!
	for _ in $(seq 100); do [ -s "$STATE/netplugin.pid" ] && return 0; sleep 0.05; done
	echo "plugin did not start"; cat "$TMP/plugin.out"; exit 1
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=; }

# call METHOD [BODY]: POST like dockerd; sets STATUS and REPLY.
call() {
	local out
	if [ $# -ge 2 ]; then
		out=$(printf '%s\n' "$2" | curl -s --max-time "${TMO:-10}" --unix-socket "$SOCK" \
			-H "Accept: $ACCEPT" -H 'Content-Type:' -H 'User-Agent: Go-http-client/1.1' \
			--data-binary @- -w '\n%{http_code}' "http://plugin.moby.localhost/$1") || true
	else
		out=$(curl -s --max-time "${TMO:-10}" --unix-socket "$SOCK" \
			-H "Accept: $ACCEPT" -H 'Content-Type:' --data-binary '' \
			-w '\n%{http_code}' "http://plugin.moby.localhost/$1") || true
	fi
	STATUS=${out##*$'\n'}
	REPLY=${out%$'\n'*}
	[ "$REPLY" = "$out" ] && REPLY=
	return 0
}

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect DESC STATUS PYEXPR: check STATUS and a python expression on r (the reply JSON)
expect() {
	local desc=$1 st=$2 expr=$3
	if [ "$STATUS" != "$st" ]; then bad "$desc: status $STATUS, want $st (reply $REPLY)"; return; fi
	if [ "$expr" = True ] || R="$REPLY" python3 -c "import json,os,sys; r=json.loads(os.environ['R'] or 'null'); sys.exit(0 if ($expr) else 1)"; then
		ok "$desc"
	else
		bad "$desc: $REPLY"
	fi
}
check() { local desc=$1; shift; if "$@" >/dev/null 2>&1; then ok "$desc"; else bad "$desc"; fi; }
# eventually DESC CMD...: CMD succeeds within 10 s
eventually() {
	local desc=$1 i; shift
	for i in $(seq 100); do "$@" >/dev/null 2>&1 && { ok "$desc"; return; }; sleep 0.1; done
	bad "$desc"
}
nocheck() { local desc=$1; shift; if "$@" >/dev/null 2>&1; then bad "$desc"; else ok "$desc"; fi; }

start --requires-mac --mac-reply --static-route '192.0.2.0/24 via 10.77.0.1,198.51.100.0/24'
check "socket made with its parent directories" test -S "$SOCK"

call Plugin.Activate
expect "Activate" 200 "r == {'Implements': ['NetworkDriver', 'IpamDriver']}"
call NetworkDriver.GetCapabilities
expect "net GetCapabilities" 200 "r == {'Scope': 'local', 'ConnectivityScope': 'local'}"
call IpamDriver.GetCapabilities
expect "ipam GetCapabilities" 200 "r == {'RequiresMACAddress': True, 'RequiresRequestReplay': False}"
call IpamDriver.GetDefaultAddressSpaces
expect "GetDefaultAddressSpaces" 200 "r['LocalDefaultAddressSpace'] == 'tplocal' and r['GlobalDefaultAddressSpace'] == 'tpglobal'"

# --- IPAM: network create ---
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"","SubPool":"","Options":{},"V6":false}'
expect "RequestPool dynamic" 200 "r == {'PoolID': 'tplocal/10.77.0.0/24', 'Pool': '10.77.0.0/24', 'Data': {}}"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"","SubPool":"","Options":{},"V6":false}'
expect "RequestPool dynamic: the next one while the first is held" 200 "r['Pool'] == '10.77.1.0/24'"
call IpamDriver.ReleasePool '{"PoolID":"tplocal/10.77.1.0/24"}'
expect "ReleasePool" 200 "r == {}"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.77.0.0/24","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
expect "RequestAddress gateway" 200 "r['Address'] == '10.77.0.1/24'"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"","SubPool":"","Options":{},"V6":true}'
expect "RequestPool v6" 200 "r['Pool'] == 'fd77::/64' and r['PoolID'] == 'tplocal/fd77::/64'"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/fd77::/64","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
expect "RequestAddress v6 gateway" 200 "r['Address'] == 'fd77::1/64'"

call NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NID\",\"Options\":{\"com.docker.network.enable_ipv6\":true,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"tplocal\",\"Gateway\":\"10.77.0.1/24\",\"Pool\":\"10.77.0.0/24\"}],\"IPv6Data\":[{\"AddressSpace\":\"tplocal\",\"Gateway\":\"fd77::1/64\",\"Pool\":\"fd77::/64\"}]}"
expect "CreateNetwork" 200 "r == {}"

# --- endpoint ---
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.77.0.0/24","Address":"","Options":{"com.docker.network.endpoint.macaddress":"02:42:1a:68:e6:f2"}}'
expect "RequestAddress next free" 200 "r == {'Address': '10.77.0.2/24', 'Data': {}}"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/fd77::/64","Address":"","Options":{"com.docker.network.endpoint.macaddress":"02:42:1a:68:e6:f2"}}'
expect "RequestAddress v6 next free" 200 "r['Address'] == 'fd77::2/64'"
call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\",\"Interface\":{\"Address\":\"10.77.0.2/24\",\"AddressIPv6\":\"fd77::2/64\",\"MacAddress\":\"02:42:1a:68:e6:f2\"},\"Options\":{\"com.docker.network.endpoint.exposedports\":[],\"com.docker.network.portmap\":[]}}"
expect "CreateEndpoint with a MAC: reply fills nothing" 200 "r == {}"
call NetworkDriver.Join "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\",\"SandboxKey\":\"/var/run/docker/netns/e57f20a9ac35\",\"Options\":{}}"
expect "Join" 200 "r['InterfaceName'] == {'SrcName': 'tpc${EID:0:8}', 'DstPrefix': 'eth'} and r['Gateway'] == '10.77.0.1' and r['GatewayIPv6'] == 'fd77::1' and r['StaticRoutes'] == [{'Destination': '192.0.2.0/24', 'RouteType': 0, 'NextHop': '10.77.0.1'}, {'Destination': '198.51.100.0/24', 'RouteType': 1}]"
check "bridge tp${NID:0:8} exists in the namespace" inns ip link show dev "tp${NID:0:8}" type bridge
check "bridge has the gateway address" sh -c "ip netns exec $NS ip -4 addr show dev tp${NID:0:8} | grep -q 'inet 10.77.0.1/24'"
check "bridge has the IPv6 gateway" sh -c "ip netns exec $NS ip -6 addr show dev tp${NID:0:8} | grep -q 'inet6 fd77::1/64'"
check "veth host end enslaved to the bridge" sh -c "ip netns exec $NS ip link show dev tph${EID:0:8} | grep -q 'master tp${NID:0:8}'"
check "veth peer (SrcName) exists" inns ip link show dev "tpc${EID:0:8}" type veth
nocheck "nothing made in the machine's namespace" ip link show dev "tp${NID:0:8}"
call NetworkDriver.ProgramExternalConnectivity "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\",\"Options\":{\"com.docker.network.portmap\":[]}}"
expect "ProgramExternalConnectivity" 200 "r == {}"
call NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\"}"
expect "EndpointOperInfo" 200 "r['Value']['tp.joined'] is True"
call NetworkDriver.RevokeExternalConnectivity "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\"}"
expect "RevokeExternalConnectivity" 200 "r == {}"
call NetworkDriver.Leave "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\"}"
expect "Leave" 200 "r == {}"
nocheck "Leave deleted the veth pair" inns ip link show dev "tpc${EID:0:8}"
call NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID\"}"
expect "DeleteEndpoint" 200 "r == {}"

# second endpoint: no MAC given -> the plugin supplies one (--mac-reply)
call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"Interface\":{\"Address\":\"10.77.0.3/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{}}"
expect "CreateEndpoint without MAC: reply has only MacAddress" 200 "list(r) == ['Interface'] and list(r['Interface']) == ['MacAddress'] and r['Interface']['MacAddress'].startswith('02:7e:')"
call NetworkDriver.Join "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"SandboxKey\":\"/x\",\"Options\":{}}"
expect "Join 2" 200 "r['InterfaceName']['SrcName'] == 'tpc${EID2:0:8}'"
call NetworkDriver.Join "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"SandboxKey\":\"/x\",\"Options\":{}}"
expect "Join repeated while the interface is still here: same answer" 200 "r['InterfaceName']['SrcName'] == 'tpc${EID2:0:8}'"
inns ip link set dev "tpc${EID2:0:8}" name tpmoved
call NetworkDriver.Join "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"SandboxKey\":\"/x\",\"Options\":{}}"
expect "Join twice after the interface was taken: Err" 200 "'already joined' in r['Err']"
call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"Interface\":{\"Address\":\"10.77.0.3/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{}}"
expect "CreateEndpoint repeated: same answer" 200 "r['Interface']['MacAddress'].startswith('02:7e:')"
call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\",\"Interface\":{\"Address\":\"10.77.0.5/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":{}}"
expect "CreateEndpoint again, different: Err" 200 "'exists' in r['Err']"
check "replies.log warns of the repeats" sh -c "grep -c 'repeated' $STATE/replies.log | grep -qx 2"
call NetworkDriver.Join "{\"NetworkID\":\"nope\",\"EndpointID\":\"$EID2\",\"SandboxKey\":\"/x\",\"Options\":{}}"
expect "Join on an unknown network: Err" 200 "'not found' in r['Err']"

# --- IPAM: specific, exhausted, unknown, errors ---
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.77.0.0/24","Address":"10.77.0.9","Options":null}'
expect "RequestAddress specific" 200 "r['Address'] == '10.77.0.9/24'"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.77.0.0/24","Address":"10.77.0.9","Options":null}'
expect "RequestAddress in use: Error (IPAM field)" 200 "'in use' in r['Error']"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.77.0.0/24","Address":"10.77.0.9/24","Options":null}'
expect "RequestAddress with a CIDR: Error" 200 "'plain IP' in r['Error']"
call IpamDriver.RequestAddress '{"PoolID":"nope","Address":"","Options":null}'
expect "RequestAddress unknown pool" 200 "'unknown pool' in r['Error']"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"10.99.0.0/30","SubPool":"","Options":{},"V6":false}'
expect "RequestPool given" 200 "r['PoolID'] == 'tplocal/10.99.0.0/30' and r['Pool'] == '10.99.0.0/30'"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.99.0.0/30","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}'
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.99.0.0/30","Address":"","Options":null}'
expect "small pool: .2" 200 "r['Address'] == '10.99.0.2/30'"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.99.0.0/30","Address":"","Options":null}'
expect "small pool exhausted" 200 "'no available addresses' in r['Error']"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"10.99.0.0/16","SubPool":"","Options":{},"V6":false}'
expect "overlapping pool refused" 200 "'overlaps' in r['Error']"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"10.98.0.0/16","SubPool":"10.98.5.0/24","Options":{"tp.gateway_in_data":"1"},"V6":false}'
expect "RequestPool with SubPool and gateway in Data" 200 "r['PoolID'] == 'tplocal/10.98.0.0/16/10.98.5.0/24' and r['Data'] == {'com.docker.network.gateway': '10.98.0.1/16'}"
call IpamDriver.RequestAddress '{"PoolID":"tplocal/10.98.0.0/16/10.98.5.0/24","Address":"","Options":null}'
expect "address from the SubPool" 200 "r['Address'] == '10.98.5.1/16'"
call IpamDriver.ReleaseAddress '{"PoolID":"tplocal/10.99.0.0/30","Address":"10.99.0.2"}'
expect "ReleaseAddress" 200 "r == {}"
call IpamDriver.ReleaseAddress '{"PoolID":"tplocal/10.99.0.0/30","Address":"10.99.0.2"}'
expect "ReleaseAddress twice: Error" 200 "'not allocated' in r['Error']"
call IpamDriver.ReleasePool '{"PoolID":"tplocal/nope"}'
expect "ReleasePool unknown" 200 "'unknown pool' in r['Error']"

# --- protocol ---
call NetworkDriver.NoSuchMethod '{}'
expect "unknown method: 404" 404 "True"
[ "${REPLY%$'\n'}" = "404 page not found" ] && ok "404 body as Go's" || bad "404 body: $REPLY"
out=$(curl -s --unix-socket "$SOCK" -H "Accept: $ACCEPT" -X POST -w '%{http_code}' http://x/NetworkDriver.Leave)
[ "${out: -3}" = 400 ] && ok "empty body on an argument call: 400" || bad "empty body: $out"

# --- faults ---
echo '{"CreateNetwork": {"err": "refuses to create networks"}}' >"$STATE/faults.json"
call NetworkDriver.CreateNetwork '{"NetworkID":"n2","Options":{"com.docker.network.generic":{}},"IPv4Data":[],"IPv6Data":[]}'
expect "fault err (NetworkDriver: 200 + Err)" 200 "r == {'Err': 'refuses to create networks'}"
echo '{"IpamDriver.RequestPool": {"err": "no pools today"}}' >"$STATE/faults.json"
call IpamDriver.RequestPool '{"AddressSpace":"tplocal","Pool":"","SubPool":"","Options":{},"V6":false}'
expect "fault err (IpamDriver: 200 + Error)" 200 "r == {'Error': 'no pools today'}"
echo '{"Join": {"err": "boom", "status": 500}}' >"$STATE/faults.json"
call NetworkDriver.Join '{"NetworkID":"x","EndpointID":"y"}'
expect "fault err + status" 500 "r == {'Err': 'boom'}"
echo '{"*": {"garbage": true}}' >"$STATE/faults.json"
st=$(curl -s --unix-socket "$SOCK" -H "Accept: $ACCEPT" --data-binary '' -o "$TMP/garbage" -w '%{http_code}' \
	http://x/Plugin.Activate)
[ "$st" = 200 ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/garbage" 2>/dev/null &&
	grep -qaP '\x00' "$TMP/garbage" && ok "fault garbage: 200 + not JSON, with a NUL" || bad "fault garbage: $st"
echo '{"*": {"garbage": "{\"Implements\": "}}' >"$STATE/faults.json"
call Plugin.Activate
[ "$STATUS" = 200 ] && [ "$REPLY" = '{"Implements": ' ] && ok "fault garbage with a given text" || bad "garbage text: $REPLY"
echo '{"ProgramExternalConnectivity": {"status": 404}}' >"$STATE/faults.json"
call NetworkDriver.ProgramExternalConnectivity '{"NetworkID":"x","EndpointID":"y","Options":{}}'
expect "fault status 404" 404 "True"
echo '{"GetCapabilities": {"times": 1, "err": "once"}}' >"$STATE/faults.json"
call NetworkDriver.GetCapabilities
expect "fault times=1: first call fails" 200 "r == {'Err': 'once'}"
call NetworkDriver.GetCapabilities
expect "fault times=1: second call passes" 200 "r['Scope'] == 'local'"
echo '{"DeleteEndpoint": {"sleep": 3}}' >"$STATE/faults.json"
t0=$(date +%s%N)
TMO=1 call NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"nope\"}"
[ "$STATUS" = 000 ] && ok "fault sleep: client timed out" || bad "fault sleep: $STATUS"
call NetworkDriver.GetCapabilities
expect "other calls answered while one sleeps" 200 "r['Scope'] == 'local'"
[ $((($(date +%s%N) - t0) / 1000000)) -lt 2900 ] && ok "...and promptly" || bad "not prompt"
eventually "replies.log: the late reply was not delivered" python3 -c "
import json
r = [json.loads(l) for l in open('$STATE/replies.log')]
assert [x for x in r if x['method'] == 'NetworkDriver.DeleteEndpoint'][-1]['delivered'] is False"
echo '{"CreateEndpoint": {"merge": {"Interface": {"MacAddress": "02:00:00:00:00:99", "Address": "10.77.0.200/24"}}}}' >"$STATE/faults.json"
call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"e3\",\"Interface\":{\"Address\":\"10.77.0.4/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"02:42:00:00:00:04\"},\"Options\":{}}"
expect "fault merge: a reply that modifies given fields" 200 "r['Interface']['Address'] == '10.77.0.200/24'"
echo '{"DeleteEndpoint": {"reply": {"Err": ""}}, "EndpointOperInfo": {"if_body": "\"e3\"", "status": 404}}' >"$STATE/faults.json"
call NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NID\",\"EndpointID\":\"e3\"}"
expect "fault if_body matches" 404 True
call NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\"}"
expect "fault if_body does not match" 200 "'Value' in r"
call NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"e3\"}"
expect "fault reply" 200 "r == {'Err': ''}"
echo '{"Leave": {"close": true}}' >"$STATE/faults.json"
call NetworkDriver.Leave "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\"}"
[ "$STATUS" = 000 ] && ok "fault close: connection dropped" || bad "fault close: $STATUS"
check "calls.log has one line per call, with method and body" python3 -c "
import json
calls = [json.loads(l) for l in open('$STATE/calls.log')]
assert calls[0]['method'] == 'Plugin.Activate' and calls[0]['body'] is None
cn = [c for c in calls if c['method'] == 'NetworkDriver.CreateNetwork'][0]
assert cn['body']['NetworkID'] == '$NID' and cn['warnings'] == []
assert any(c.get('fault') for c in calls)
assert [c['seq'] for c in calls] == list(range(1, len(calls) + 1))"
check "replies.log pairs with calls.log" python3 -c "
import json
r = [json.loads(l) for l in open('$STATE/replies.log')]
assert all('elapsed_ms' in x and 'status' in x for x in r)"

echo '{"Leave": {"exit": true}}' >"$STATE/faults.json"
call NetworkDriver.Leave "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\"}"
[ "$STATUS" = 000 ] && ok "fault exit: no answer" || bad "fault exit: $STATUS"
eventually "fault exit: the plugin is gone" sh -c "! kill -0 $PID"
wait "$PID" 2>/dev/null || true
PID=
check "fault exit leaves the stale socket (like a crash)" test -S "$SOCK"
rm -f "$STATE/faults.json"

# --- restart: state restored; Leave/DeleteEndpoint/DeleteNetwork clean up ---
start
call NetworkDriver.Leave "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\"}"
expect "after restart: Leave of a restored endpoint" 200 "r == {}"
call NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NID\",\"EndpointID\":\"$EID2\"}"
expect "DeleteEndpoint 2" 200 "r == {}"
nocheck "veth 2 gone" inns ip link show dev "tph${EID2:0:8}"
call NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NID\"}"
expect "DeleteNetwork" 200 "r == {}"
nocheck "bridge gone with the network" inns ip link show dev "tp${NID:0:8}"
stop
nocheck "SIGTERM removed the socket" test -e "$SOCK"
nocheck "SIGTERM removed the pid file" test -e "$STATE/netplugin.pid"

# --- exit_after: the work is done, then the plugin dies before answering ---
more=(--not-implemented NetworkDriver.ProgramExternalConnectivity --gw-alloc-checker --gw-skip v6)
start --fresh --fault 'CreateNetwork={"exit_after": true}' "${more[@]}"
call NetworkDriver.CreateNetwork '{"NetworkID":"n9","Options":{"com.docker.network.generic":{"tp.bridge":"tpnine"},"com.docker.network.enable_ipv6":false},"IPv4Data":[],"IPv6Data":[]}'
[ "$STATUS" = 000 ] && ok "exit_after: no answer" || bad "exit_after: $STATUS"
wait "$PID" 2>/dev/null || true
check "exit_after: the network was recorded before dying" grep -q '"tpnine"' "$STATE/state.json"
start "${more[@]}"
call NetworkDriver.GetCapabilities
expect "GwAllocChecker in capabilities" 200 "r.get('GwAllocChecker') is True"
call NetworkDriver.GwAllocCheck '{"Options":{}}'
expect "GwAllocCheck" 200 "r == {'SkipIPv4': False, 'SkipIPv6': True}"
call NetworkDriver.ProgramExternalConnectivity '{"NetworkID":"n9","EndpointID":"y","Options":{}}'
expect "--not-implemented: 404" 404 True
call NetworkDriver.AllocateNetwork '{"NetworkID":"n9","Options":{},"IPv4Data":[],"IPv6Data":[]}'
expect "AllocateNetwork" 200 "'Options' in r"
call NetworkDriver.FreeNetwork '{"NetworkID":"n9"}'
expect "FreeNetwork" 200 "r == {}"
call NetworkDriver.DiscoverNew '{"DiscoveryType":1,"DiscoveryData":{"Address":"192.168.1.10","BindAddress":"0.0.0.0","Self":false}}'
expect "DiscoverNew" 200 "r == {}"
call NetworkDriver.DeleteNetwork '{"NetworkID":"n9"}'
expect "DeleteNetwork n9 (restored from state)" 200 "r == {}"
stop

# --- other modes: NetworkDriver only, helpers-style errors, TCP listener ---
start --fresh --implements NetworkDriver --error-style helpers --scope global --connectivity-scope none \
	--tcp 127.0.0.1:0 --spec "$TMP/etc/tcpplug.spec"
call Plugin.Activate
expect "Implements NetworkDriver only" 200 "r == {'Implements': ['NetworkDriver']}"
call IpamDriver.GetCapabilities
expect "IpamDriver call on a NetworkDriver-only plugin: 404" 404 "True"
call NetworkDriver.GetCapabilities
expect "scope global, no ConnectivityScope" 200 "r == {'Scope': 'global'}"
call NetworkDriver.Join '{"NetworkID":"x","EndpointID":"y"}'
expect "helpers-style error: 500 + Err" 500 "'not found' in r['Err']"
addr=$(cat "$TMP/etc/tcpplug.spec")
case $addr in tcp://127.0.0.1:[0-9]*) ok "spec file written: $addr" ;; *) bad "spec file: $addr" ;; esac
port=$(cat "$STATE/port")
out=$(inns curl -s -H "Accept: $ACCEPT" --data-binary '' "http://127.0.0.1:$port/Plugin.Activate")
[ "$out" = '{"Implements": ["NetworkDriver"]}' ] && ok "TCP listener answers" || bad "TCP: $out"
stop

echo
if [ $fails = 0 ]; then echo "selftest: all passed"; else echo "selftest: $fails FAILED"; cat "$TMP/plugin.out"; fi
[ $fails = 0 ]
