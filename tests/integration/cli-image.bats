#!/usr/bin/env bats
# cli-image.bats - the berth CLI's image and registry verbs: history of an
# imported and a committed image (columns, -q, --no-trunc, --human=false,
# --format), image prune (the prompt, dangling or all, filters, docker's
# report), login refused by the daemon with nothing stored and its flags
# checked before the daemon is asked, logout, and pull/push/login against
# a Docker Registry on 127.0.0.1 inside the namespace.  A fake API on a
# unix socket (fake_api) shows what berthd cannot make on demand: long
# CREATED BY texts, <missing> ids, an error in the middle of a pull, the
# progress messages on and off a terminal, the queries and headers sent.
#
#   root ns                                  $NS
#   ┌─────────────────────────┐  unix sock   ┌─────────────────────────────────┐
#   │ berth ($BERTH_CONFIG/)  │────────────▶ │ berthd ──http──▶ docker-registry │
#   │   │                     │              │   │             127.0.0.1:5000  │
#   │   └─unix sock─▶ fake_api│              │   └──▶ 127.0.0.1:1 (nothing)    │
#   └─────────────────────────┘              └─────────────────────────────────┘

load helpers
load registry
bats_require_minimum_version 1.5.0

REG=127.0.0.1:5000

setup_file() {
	busybox_build
}

setup() {
	berth_setup cimg
	export BERTH_CONFIG=$TMP/berth-config
	berthd_start
	FAKE_PID=
}

teardown() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	reg_stop_all
	berth_teardown
}

# fake_api: a Docker API on $TMP/fake.sock answering history, pull, push
# and prune with canned replies; each request's line and X-Registry-Auth
# header are appended to $TMP/fake.log.  fberth runs berth against it.
fake_api() {
	cat >"$TMP/fake.py" <<'PY'
import json, os, socket, sys, threading, time, urllib.parse

sock, log = sys.argv[1], sys.argv[2]
ID = "sha256:" + "ab" * 32
PULL = [
    {"status": "Pulling from team/bb", "id": "v1"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Downloading", "progressDetail": {"current": 1234, "total": 56789},
     "progress": "[=>      ] 1.234kB/56.79kB", "id": "a1b2c3d4e5f6"},
    {"status": "Verifying Checksum", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Download complete", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Extracting", "progressDetail": {"current": 56789, "total": 56789},
     "progress": "[========>] 56.79kB/56.79kB", "id": "a1b2c3d4e5f6"},
    {"status": "Pull complete", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Digest: sha256:" + "cd" * 32},
    {"status": "Status: Downloaded newer image for 127.0.0.1:5000/team/bb:v1"},
]
PUSH = [
    {"status": "The push refers to repository [127.0.0.1:5000/team/bb]"},
    {"status": "Preparing", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "Pushing", "progressDetail": {"current": 512, "total": 1024},
     "progress": "[====>   ] 512B/1.024kB", "id": "a1b2c3d4e5f6"},
    {"status": "Pushed", "progressDetail": {}, "id": "a1b2c3d4e5f6"},
    {"status": "v1: digest: sha256:" + "cd" * 32 + " size: 527"},
    {"progressDetail": {}, "aux": {"Tag": "v1", "Digest": "sha256:" + "cd" * 32, "Size": 527}},
]

def reply(c, code, body):
    b = json.dumps(body).encode()
    c.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
              % (code, len(b)) + b)

def stream(c, msgs):
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    for m in msgs:
        line = (json.dumps(m) + "\r\n").encode()
        for part in (line[:7], line[7:]):  # (lines cut across chunks)
            c.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        time.sleep(0.01)
    c.sendall(b"0\r\n\r\n")

def serve(c):
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(65536)
    head = data.split(b"\r\n\r\n")[0].decode().split("\r\n")
    auth = [h.split(": ", 1)[1] for h in head[1:] if h.lower().startswith("x-registry-auth:")]
    with open(log, "a") as f:
        f.write("%s auth=%s\n" % (urllib.parse.unquote(head[0].split()[1]),
                                  auth[0] if auth else "-"))
    path = head[0].split()[1]
    now = int(time.time())
    if "/history" in path:
        reply(c, 200, [
            {"Id": ID, "Created": now - 7200, "Tags": ["x:1"], "Size": 1234567, "Comment": "",
             "CreatedBy": "/bin/sh -c #(nop) ADD file:0123456789abcdef0123 in /\tfinal"},
            {"Id": "<missing>", "Created": now - 3 * 86400, "Tags": None, "Size": 0,
             "CreatedBy": "\u00e9" * 50, "Comment": "base layer"}])
    elif "/images/prune" in path:
        reply(c, 200, {"ImagesDeleted": [{"Untagged": "x:1"}, {"Deleted": ID}],
                       "SpaceReclaimed": 1234567})
    elif "fromImage=missing" in path:
        reply(c, 404, {"message": "pull access denied for missing, repository does not exist"})
    elif "fromImage=broken" in path:
        stream(c, PULL[:3] + [{"errorDetail": {"message": "unexpected EOF"},
                               "error": "unexpected EOF"}, {"status": "not shown"}])
    elif "/images/create" in path:
        stream(c, PULL)
    elif "/push" in path:
        stream(c, PUSH)
    else:
        reply(c, 404, {"message": "page not found"})
    c.close()

try:
    os.unlink(sock)
except OSError:
    pass
s = socket.socket(socket.AF_UNIX)
s.bind(sock)
s.listen(8)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],)).start()
PY
	/usr/bin/python3 "$TMP/fake.py" "$TMP/fake.sock" "$TMP/fake.log" </dev/null >/dev/null 2>&1 3>&- &
	FAKE_PID=$!
	wait_for test -S "$TMP/fake.sock"
}

fberth() {
	"$BERTH_BIN/berth" -H "unix://$TMP/fake.sock" "$@"
}

# wait_for CMD...: poll until CMD succeeds (5 s at most).
wait_for() {
	local i
	for i in $(seq 1 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# json_get FILE EXPR: a Python expression over the JSON document d of FILE
json_get() {
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

@test "history: an imported and a committed image in docker's columns, -q, --no-trunc, --human=false, --format" {
	berth import -c 'CMD ["sh"]' -m "busybox rootfs" "$BUSYBOX_TAR" base:1 >/dev/null
	berth run --name hc --network none base:1 sh -c 'echo x >/f' >/dev/null
	berth commit -m "added /f" hc child:1 >/dev/null
	berth rm hc >/dev/null
	base=$(berth inspect -f '{{.Id}}' base:1)
	child=$(berth inspect -f '{{.Id}}' child:1)
	size=$(berth inspect -f '{{.Size}}' base:1)
	run berth history child:1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
	[[ ${lines[1]} =~ ^${child:7:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +berth\ commit\ +[0-9.]+[kM]?B\ +added\ /f$ ]]
	[[ ${lines[2]} =~ ^${base:7:12}\ +.*\ ago\ +berth\ import\ +1\.98MB\ +busybox\ rootfs$ ]]
	# the columns line up (docker's tabwriter)
	col=${lines[0]%%CREATED BY*}
	[ "${lines[1]:${#col}:12}" = "berth commit" ]
	[ "${lines[2]:${#col}:12}" = "berth import" ]
	# the same under image history and with -H
	[ "$(berth image history -H child:1 | tail -n +2 | cut -c1-12)" = "$(printf '%s\n%s' "${child:7:12}" "${base:7:12}")" ]
	[ "$(berth history -q child:1)" = "$(printf '%s\n%s' "${child:7:12}" "${base:7:12}")" ]
	[ "$(berth history -q --no-trunc child:1)" = "$(printf '%s\n%s' "$child" "$base")" ]
	# --human=false: RFC 3339 times and sizes in bytes
	run berth history --human=false base:1
	echo "$output"
	[[ ${lines[1]} =~ ^${base:7:12}\ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})\ +berth\ import\ +$size\ +busybox\ rootfs$ ]]
	utc=$(TZ=UTC berth history --human=false --format '{{.CreatedSince}}' base:1)
	ist=$(TZ=Asia/Kolkata berth history --format '{{.CreatedAt}}' base:1)
	[[ $utc == *Z ]]
	[[ $ist == *+05:30 ]]
	[ "$(date -d "$utc" +%s)" = "$(date -d "$ist" +%s)" ]
	# templates: fields, a table with its header, json
	[ "$(berth history --format '{{.ID}}|{{.Size}}|{{.Comment}}' base:1)" = "${base:7:12}|1.98MB|busybox rootfs" ]
	run berth history --format 'table {{.ID}}\t{{.CreatedBy}}' child:1
	[[ ${lines[0]} =~ ^IMAGE\ +CREATED\ BY$ ]]
	[[ ${lines[2]} =~ ^${base:7:12}\ +berth\ import$ ]]
	berth history --format json child:1 >"$TMP/h.json"
	[ "$(head -1 "$TMP/h.json" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ID"], d["CreatedBy"], d["Comment"])')" = "${child:7:12} berth commit added /f" ]
	# -q with a --format: the format wins
	[ "$(berth history -q --format '{{.Comment}}' base:1)" = "busybox rootfs" ]
	run berth history nosuch:1
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such image: nosuch:1" ]
}

@test "history as docker prints it: CREATED BY cut to 45 characters with …, <missing> ids, tabs as spaces" {
	fake_api
	run fberth history x:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} =~ ^abababababab\ +2\ hours\ ago\ +/bin/sh\ -c\ \#\(nop\)\ ADD\ file:0123456789abcdef0…\ +1\.23MB\ *$ ]]
	e44=$(printf 'é%.0s' $(seq 1 44))
	[[ ${lines[2]} =~ ^\<missing\>\ +3\ days\ ago\ +$e44…\ +0B\ +base\ layer$ ]]
	[ "$(fberth history -q x:1)" = "$(printf 'abababababab\n<missing>')" ]
	run fberth history --no-trunc --format '{{.ID}}|{{.CreatedBy}}' x:1
	[ "${lines[0]}" = "sha256:$(printf 'ab%.0s' $(seq 1 32))|/bin/sh -c #(nop) ADD file:0123456789abcdef0123 in / final" ]
	[ "${lines[1]}" = "<missing>|$(printf 'é%.0s' $(seq 1 50))" ]
	[ "$(fberth history --human=false --format '{{.Size}}' x:1)" = "$(printf '1234567\n0')" ]
	grep -qx '/v1.41/images/x:1/history auth=-' "$TMP/fake.log"
}

@test "image prune: asks first, dangling images only, -a for every unused one, filters, docker's report" {
	berth import "$BUSYBOX_TAR" keep:1 >/dev/null
	mkdir -p "$TMP/x"
	head -c 4096 /dev/urandom >"$TMP/x/f"
	tar -C "$TMP/x" -cf "$TMP/x.tar" f
	own=$(berth import "$TMP/x.tar")
	labelled=$(berth import -c 'LABEL keep=yes' "$TMP/x.tar")
	[ "$(berth images -aq | wc -l)" -eq 3 ]
	# no: nothing removed, nothing printed after the question
	run berth image prune <<<n
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ')" ]
	run berth image prune -a </dev/null
	[ "$output" = "$(printf 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ')" ]
	[ "$(berth images -aq | wc -l)" -eq 3 ]
	# label!=keep=yes: only the unlabelled dangling image, after a "y"
	run berth image prune --filter 'label!=keep=yes' <<<y
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "WARNING! This will remove all dangling images." ]
	[ "${lines[1]}" = "Are you sure you want to continue? [y/N] Deleted Images:" ]
	[ "${lines[2]}" = "deleted: $own" ]
	[[ ${lines[3]} == "Total reclaimed space: "*B ]]
	[[ $output == *"deleted: $own"$'\n\n'"Total reclaimed space: "* ]]
	[ "$(berth images -aq | wc -l)" -eq 2 ]
	# -f: no question; the labelled one goes now
	run berth image prune -f
	echo "$output"
	[ "${lines[0]}" = "Deleted Images:" ]
	[ "${lines[1]}" = "deleted: $labelled" ]
	# (then the layer it freed, 4096 bytes of file)
	[[ ${lines[2]} == "deleted: sha256:"* ]]
	[[ $output == *$'\n\nTotal reclaimed space: 4.096kB' ]]
	# nothing left to remove: only the total
	run berth image prune -f
	[ "$output" = "Total reclaimed space: 0B" ]
	# -a: a tagged image that no container uses goes too
	run berth image prune -a -f
	echo "$output"
	[ "${lines[0]}" = "Deleted Images:" ]
	[ "${lines[1]}" = "untagged: keep:1" ]
	[[ ${lines[2]} == "deleted: sha256:"* ]]
	[[ ${lines[-1]} =~ ^Total\ reclaimed\ space:\ 1\.98[0-9]MB$ ]]
	[ -z "$(berth images -aq)" ]
	# bad filters: refused here, or by the daemon
	run berth image prune -f --filter nokey
	[ "$status" -eq 1 ]
	[ "$output" = "bad format of filter (expected name=value)" ]
	run berth image prune -f --filter bogus=1
	[ "$status" -eq 1 ]
	[[ $output == "Error response from daemon: "*"bogus"* ]]
}

@test "image prune sends docker's filters: dangling true or false, the --filter values as lists" {
	fake_api
	run fberth image prune -f
	echo "$output"
	[ "$output" = "$(printf 'Deleted Images:\nuntagged: x:1\ndeleted: sha256:%s\n\nTotal reclaimed space: 1.235MB' "$(printf 'ab%.0s' $(seq 1 32))")" ]
	fberth image prune -a -f --filter until=24h --filter label=a=b --filter label=c >/dev/null
	run cat "$TMP/fake.log"
	echo "$output"
	[ "${lines[0]}" = '/v1.41/images/prune?filters={"dangling":["true"]} auth=-' ]
	[ "${lines[1]}" = '/v1.41/images/prune?filters={"until":["24h"],"label":["a=b","c"],"dangling":["false"]} auth=-' ]
}

@test "login: the daemon's refusal is printed and nothing is stored; the flags are checked before it is asked" {
	# nothing listens on 127.0.0.1:1 in the namespace
	run --separate-stderr berth login -u alice -p s3cret 127.0.0.1:1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "WARNING! Using --password via the CLI is insecure. Use --password-stdin." ]
	[[ ${stderr_lines[1]} == "Error response from daemon: "* ]]
	[ ! -e "$BERTH_CONFIG" ]
	run berth login -u alice --password-stdin 127.0.0.1:1 <<<"s3cret"
	[ "$status" -eq 1 ]
	[[ $output == "Error response from daemon: "* ]]
	[ ! -e "$BERTH_CONFIG" ]
	# refused before asking the daemon
	run berth login --password-stdin 127.0.0.1:1 <<<"s3cret"
	[ "$status" -eq 1 ]
	[ "$output" = "Must provide --username with --password-stdin" ]
	run berth login -u alice -p x --password-stdin 127.0.0.1:1 <<<"s3cret"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "--password and --password-stdin are mutually exclusive" ]
	run berth login 127.0.0.1:1 </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "Error: Cannot perform an interactive login from a non TTY device" ]
	run berth login -u alice --password-stdin 127.0.0.1:1 </dev/null
	[ "$output" = "Error: Cannot perform an interactive login from a non TTY device" ]
	# on a terminal it asks for both
	run script -qec "'$BERTH_BIN/berth' login 127.0.0.1:1" /dev/null <<<$'alice\ns3cret'
	echo "$output"
	[[ $output == *"Username: "* ]]
	[[ $output == *"Password: "* ]]
	[[ $output == *"Error response from daemon: "* ]]
	[ ! -e "$BERTH_CONFIG" ]
	# a config file that cannot be read: named, left as it was
	mkdir -p "$BERTH_CONFIG"
	printf '{"auths":' >"$BERTH_CONFIG/config.json"
	run berth login -u alice --password-stdin 127.0.0.1:1 <<<"s3cret"
	[ "$status" -eq 1 ]
	[[ $output == "cannot parse the config file $BERTH_CONFIG/config.json: "* ]]
	[ "$(cat "$BERTH_CONFIG/config.json")" = '{"auths":' ]
	[ "$(ls "$BERTH_CONFIG")" = config.json ]
}

@test "logout: an unknown server, Docker Hub by default, every spelling of a server removed, other keys kept" {
	run berth logout 127.0.0.1:5999
	[ "$status" -eq 0 ]
	[ "$output" = "Not logged in to 127.0.0.1:5999" ]
	[ ! -e "$BERTH_CONFIG" ]
	run berth logout
	[ "$status" -eq 0 ]
	[ "$output" = "Not logged in to https://index.docker.io/v1/" ]
	mkdir -p "$BERTH_CONFIG"
	cat >"$BERTH_CONFIG/config.json" <<-'EOF'
		{"auths": {"https://127.0.0.1:5000": {"auth": "YTpi"}, "127.0.0.1:5000": {"auth": "YTpi"},
		           "https://index.docker.io/v1/": {"auth": "YTpi"}},
		 "psFormat": "table {{.Names}}"}
	EOF
	run berth logout 127.0.0.1:5999
	[ "$output" = "Not logged in to 127.0.0.1:5999" ]
	run berth logout http://127.0.0.1:5000/
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for 127.0.0.1:5000" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'sorted(d["auths"])')" = "['https://index.docker.io/v1/']" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'd["psFormat"]')" = "table {{.Names}}" ]
	[ "$(stat -c %a "$BERTH_CONFIG/config.json")" = 600 ]
	run berth logout docker.io
	[ "$output" = "Removing login credentials for https://index.docker.io/v1/" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'd["auths"]')" = "{}" ]
	run berth logout 127.0.0.1:5000
	[ "$output" = "Not logged in to 127.0.0.1:5000" ]
	# a broken file is an error, not "not logged in"
	printf '[1]' >"$BERTH_CONFIG/config.json"
	run berth logout 127.0.0.1:5000
	[ "$status" -eq 1 ]
	[ "$output" = "cannot parse the config file $BERTH_CONFIG/config.json: not a JSON object" ]
}

@test "pull and push show Docker's JSON message stream: progress lines left out off a terminal, lines redrawn in place on one, errors mid-stream" {
	fake_api
	run --separate-stderr fberth pull 127.0.0.1:5000/team/bb:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "v1: Pulling from team/bb
a1b2c3d4e5f6: Pulling fs layer
a1b2c3d4e5f6: Verifying Checksum
a1b2c3d4e5f6: Download complete
a1b2c3d4e5f6: Pull complete
Digest: sha256:$(printf 'cd%.0s' $(seq 1 32))
Status: Downloaded newer image for 127.0.0.1:5000/team/bb:v1
127.0.0.1:5000/team/bb:v1" ]
	# the default tag; -q prints only the reference
	run fberth image pull busybox
	[ "${lines[0]}" = "Using default tag: latest" ]
	[ "${lines[-1]}" = "busybox:latest" ]
	run fberth pull -q busybox
	[ "$output" = "busybox:latest" ]
	run fberth pull -q "busybox@sha256:$(printf 'cd%.0s' $(seq 1 32))"
	[ "$output" = "busybox@sha256:$(printf 'cd%.0s' $(seq 1 32))" ]
	# push: no aux line, no reference unless -q
	run fberth push 127.0.0.1:5000/team/bb:v1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "The push refers to repository [127.0.0.1:5000/team/bb]
a1b2c3d4e5f6: Preparing
a1b2c3d4e5f6: Pushed
v1: digest: sha256:$(printf 'cd%.0s' $(seq 1 32)) size: 527" ]
	[ "$(fberth image push -q 127.0.0.1:5000/team/bb:v1)" = "127.0.0.1:5000/team/bb:v1" ]
	[ "$(fberth push -q 127.0.0.1:5000/team/bb)" = "127.0.0.1:5000/team/bb:latest" ]
	[ "$(fberth push -a -q 127.0.0.1:5000/team/bb)" = "127.0.0.1:5000/team/bb" ]
	# an error in the stream: its message on stderr, exit 1, nothing after it
	run --separate-stderr fberth pull broken/bb:v1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$stderr" = "unexpected EOF" ]
	[[ $output != *"not shown"* ]]
	[[ $output != *"broken/bb:v1" ]]
	run --separate-stderr fberth pull -q broken/bb:v1
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = "unexpected EOF" ]
	# an error before the stream
	run --separate-stderr fberth pull missing
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error response from daemon: pull access denied for missing, repository does not exist" ]
	# on a terminal: each layer's line rewritten in place (cursor up, clear, back down)
	run script -qec "'$BERTH_BIN/berth' -H 'unix://$TMP/fake.sock' pull 127.0.0.1:5000/team/bb:v1" /dev/null </dev/null
	echo "$output" | cat -v
	[[ $output == *$'\e[1A\r\e[2Ka1b2c3d4e5f6: Downloading [=>      ] 1.234kB/56.79kB\r\e[1B'* ]]
	[[ $output == *$'\e[1A\r\e[2Ka1b2c3d4e5f6: Pull complete \r\e[1B'* ]]
	[[ $output == *$'Digest: sha256:'* ]]
	# the queries: name and tag (or digest) apart, every tag with push -a
	run cat "$TMP/fake.log"
	echo "$output"
	[ "${lines[0]}" = "/v1.41/images/create?fromImage=127.0.0.1:5000/team/bb&tag=v1 auth=-" ]
	[ "${lines[1]}" = "/v1.41/images/create?fromImage=busybox&tag=latest auth=-" ]
	[ "${lines[3]}" = "/v1.41/images/create?fromImage=busybox&tag=sha256:$(printf 'cd%.0s' $(seq 1 32)) auth=-" ]
	[ "${lines[4]}" = "/v1.41/images/127.0.0.1:5000/team/bb/push?tag=v1 auth=e30=" ]
	[ "${lines[7]}" = "/v1.41/images/127.0.0.1:5000/team/bb/push auth=e30=" ]
}

@test "pull and push send the credentials of the image's registry; refusals before anything is sent" {
	fake_api
	mkdir -p "$BERTH_CONFIG"
	# alice:s3cret for the registry (stored with a scheme), hub:pw for Docker Hub
	printf '{"auths":{"https://127.0.0.1:5000/":{"auth":"YWxpY2U6czNjcmV0"},"https://index.docker.io/v1/":{"auth":"aHViOnB3"}}}' \
		>"$BERTH_CONFIG/config.json"
	fberth pull -q 127.0.0.1:5000/team/bb:v1 >/dev/null
	fberth push -q 127.0.0.1:5000/team/bb:v1 >/dev/null
	fberth pull -q docker.io/library/busybox >/dev/null
	fberth pull -q 10.0.0.1:5000/x >/dev/null
	run cat "$TMP/fake.log"
	echo "$output"
	auth=${lines[0]##* auth=}
	[ "$(printf '%s' "$auth" | tr -- '-_' '+/' | base64 -d)" = '{"username":"alice","password":"s3cret","serveraddress":"127.0.0.1:5000"}' ]
	[ "${lines[1]##* auth=}" = "$auth" ]
	[ "$(printf '%s' "${lines[2]##* auth=}" | tr -- '-_' '+/' | base64 -d)" = '{"username":"hub","password":"pw","serveraddress":"https://index.docker.io/v1/"}' ]
	[ "${lines[3]##* auth=}" = "-" ]
	: >"$TMP/fake.log"
	# refused here: --all-tags on pull, another platform, a tag with push -a
	run fberth pull -a busybox
	[ "$status" -eq 1 ]
	[ "$output" = "berth pull --all-tags is not supported: pull each tag" ]
	run fberth pull --platform linux/s390x busybox
	[ "$status" -eq 1 ]
	[[ $output == "platform linux/s390x is not supported: berth pulls images for linux/"* ]]
	run fberth push -a 127.0.0.1:5000/team/bb:v1
	[ "$status" -eq 1 ]
	[ "$output" = "tag can't be used with --all-tags/-a" ]
	[ ! -s "$TMP/fake.log" ]
	# this machine's platform is sent on
	arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
	fberth pull -q --platform "linux/$arch" busybox >/dev/null
	[[ $(cat "$TMP/fake.log") == "/v1.41/images/create?fromImage=busybox&tag=latest&platform=linux/$arch auth="?* ]]
	# a broken config file: a warning, the pull goes on without credentials
	printf '{' >"$BERTH_CONFIG/config.json"
	run --separate-stderr fberth pull -q 127.0.0.1:5000/team/bb:v1
	[ "$status" -eq 0 ]
	[[ $stderr == "WARNING: cannot parse the config file $BERTH_CONFIG/config.json: "* ]]
	[ "$(tail -1 "$TMP/fake.log")" = "/v1.41/images/create?fromImage=127.0.0.1:5000/team/bb&tag=v1 auth=-" ]
}

@test "with a Docker Registry: login stores the credentials, push and pull round trip, -q, image pull/push" {
	[ -x /usr/bin/docker-registry ] || skip "docker-registry missing"
	reg_start main 5000
	mkdir -p "$BERTH_CONFIG"
	printf '{"psFormat": "table {{.ID}}"}' >"$BERTH_CONFIG/config.json"
	run berth login -u alice --password-stdin "http://$REG/" <<<"s3cret"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'd["auths"]["127.0.0.1:5000"]["auth"]')" = "$(printf alice:s3cret | base64)" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'd["psFormat"]')" = "table {{.ID}}" ]
	[ "$(stat -c %a "$BERTH_CONFIG/config.json")" = 600 ]
	berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" "$REG/team/bb:v1" >/dev/null
	id=$(berth inspect -f '{{.Id}}' "$REG/team/bb:v1")
	run berth push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/team/bb]" ]
	[[ $output == *": Pushed"* ]]
	[[ ${lines[-1]} =~ ^v1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
	[[ $output != *"Pushing"* ]]
	berth tag "$REG/team/bb:v1" "$REG/team/bb:v2"
	[ "$(berth image push -q -a "$REG/team/bb")" = "$REG/team/bb" ]
	berth rmi "$REG/team/bb:v1" "$REG/team/bb:v2" >/dev/null
	run berth pull "$REG/team/bb:v2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "v2: Pulling from team/bb" ]
	[[ $output == *": Pull complete"* ]]
	[[ $output != *"Downloading"* ]]
	[ "${lines[-2]}" = "Status: Downloaded newer image for $REG/team/bb:v2" ]
	[ "${lines[-1]}" = "$REG/team/bb:v2" ]
	[ "$(berth inspect -f '{{.Id}}' "$REG/team/bb:v2")" = "$id" ]
	[ "$(berth image pull -q "$REG/team/bb:v2")" = "$REG/team/bb:v2" ]
	run berth pull "$REG/team/nosuch:1"
	[ "$status" -eq 1 ]
	[[ $output == *"Error response from daemon: "* ]]
	run berth logout "$REG"
	[ "$output" = "Removing login credentials for $REG" ]
	[ "$(json_get "$BERTH_CONFIG/config.json" 'd')" = "{'psFormat': 'table {{.ID}}', 'auths': {}}" ]
}
