# registry.bash - Docker Registry fixtures for the bats files: Debian's
# docker-registry (distribution 2.8) started inside the test's namespace
# ($NS, from berth_setup) on 127.0.0.1 — or on every address of the
# namespace, for TLS tests on a non-loopback one —, with htpasswd auth, TLS
# from a CA made here, or as a pull-through cache of another registry, and
# filled with curl through its HTTP API (reg_fill, reg_put_image).
# Everything lives under $TMP/<name>; reg_stop_all stops what reg_start
# and reg_bg started.
#
# distribution 2.8 takes htpasswd auth over plain HTTP (it neither refuses
# nor warns; the docker CLI sends the password to 127.0.0.1 in clear,
# as it does to any registry it counts as insecure).

REG_PIDS=()
REG_TLS_PORTS=' '

# reg_certs DIR: a CA, a server certificate for 127.0.0.1, 192.0.2.1 and
# localhost, and a client certificate, all under DIR.
reg_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
			-subj /CN=berth-test-ca 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
			-subj /CN=127.0.0.1 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,IP:192.0.2.1,DNS:localhost\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out server.crt -days 2 -extfile server.ext 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
			-subj /CN=berth-client 2>/dev/null
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out client.cert -days 2 -extfile client.ext 2>/dev/null
	)
	[ -s "$d/server.crt" ] && [ -s "$d/client.cert" ]
}

# reg_start NAME PORT [--auth USER:PASS] [--token USER:PASS] [--tls]
#           [--client-certs] [--any] [--proxy URL [--proxy-auth USER:PASS]]
# The registry stores under $TMP/NAME/data (deletes enabled), logs to
# $TMP/NAME/log; returns once it answers on /v2/ (401 counts).
#   --auth          htpasswd (bcrypt of cost 4, made with python's crypt:
#                   every request is checked, a cost of 12 takes 0.25 s)
#   --token         Bearer tokens from tools/tokenserver.py on PORT+100
#                   (started here; its log in $TMP/NAME/token.log)
#   --tls           https with a certificate of $TMP/NAME/certs (reg_certs)
#   --client-certs  with --tls: clients need a certificate of that CA
#   --any           listen on every address of the namespace, not 127.0.0.1
#   --proxy URL     a pull-through cache of the registry at URL (a mirror);
#                   start that registry first (distribution asks its /v2/
#                   for the challenges once, at start)
#   --proxy-auth    the credentials it gives that registry: distribution
#                   2.8 uses them for Bearer token realms only (an upstream
#                   with --token), never for an htpasswd (Basic) one
reg_start() {
	local name=$1 port=$2 auth='' token='' tls='' clientcas='' addr=127.0.0.1 proxy='' pauth='' dir
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--auth) auth=$2; shift ;;
		--token) token=$2; shift ;;
		--tls) tls=1 ;;
		--client-certs) clientcas=1 ;;
		--any) addr=0.0.0.0 ;;
		--proxy) proxy=$2; shift ;;
		--proxy-auth) pauth=$2; shift ;;
		*) echo "reg_start: unknown option $1" >&2; return 1 ;;
		esac
		shift
	done
	[ -z "$pauth" ] || [ -n "$proxy" ] || { echo "reg_start: --proxy-auth without --proxy" >&2; return 1; }
	dir=$TMP/$name
	mkdir -p "$dir/data"
	{
		printf 'version: 0.1\nlog:\n  level: warn\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/data"
		printf 'http:\n  addr: %s:%s\n  secret: berth-test\n' "$addr" "$port"
		if [ -n "$tls" ]; then
			reg_certs "$dir/certs" || return 1
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$dir/certs/server.crt" "$dir/certs/server.key"
			[ -n "$clientcas" ] && printf '    clientcas:\n      - %s\n' "$dir/certs/ca.crt"
		fi
		if [ -n "$auth" ]; then
			/usr/bin/python3 -W ignore -c 'import crypt, sys; u, p = sys.argv[1].split(":", 1); print(u + ":" + crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
				"$auth" >"$dir/htpasswd"
			printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$dir/htpasswd"
		fi
		if [ -n "$token" ]; then
			openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" \
				-out "$dir/token.crt" -days 2 -subj /CN=berth-token 2>/dev/null
			printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: berth-test\n    issuer: berth-test-issuer\n    rootcertbundle: %s\n' \
				"$((port + 100))" "$dir/token.crt"
		fi
		if [ -n "$proxy" ]; then
			printf 'proxy:\n  remoteurl: %s\n' "$proxy"
			[ -n "$pauth" ] && printf '  username: %s\n  password: %s\n' "${pauth%%:*}" "${pauth#*:}"
		fi
	} >"$dir/config.yml"
	[ -n "$tls" ] && REG_TLS_PORTS+="$port "
	ip netns exec "$NS" /usr/bin/docker-registry serve "$dir/config.yml" </dev/null \
		>"$dir/log" 2>&1 3>&- &
	local rpid=$!
	REG_PIDS+=("$rpid")
	if [ -n "$token" ]; then
		ip netns exec "$NS" /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/tokenserver.py" \
			"$((port + 100))" "$token" "$dir/token.key" "$dir/token.crt" berth-test-issuer \
			"$dir/token.log" </dev/null >"$dir/token.out" 2>&1 3>&- &
		REG_PIDS+=("$!")
	fi
	local scheme=http
	[ -n "$tls" ] && scheme=https
	if [ -n "$token" ]; then
		for _ in $(seq 1 100); do
			[ "$(in_ns curl -s --max-time 2 -o /dev/null -w "%{http_code}" "http://127.0.0.1:$((port + 100))/token")" != 000 ] && break
			sleep 0.1
		done
	fi
	for _ in $(seq 1 100); do
		# any answer (401 included) means it is up
		[ "$(in_ns curl -sk --max-time 2 ${clientcas:+--cert "$dir/certs/client.cert" --key "$dir/certs/client.key"} -o /dev/null -w "%{http_code}" "$scheme://127.0.0.1:$port/v2/")" != 000 ] &&
			return 0
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "registry $name did not start (config $dir/config.yml):" >&2
	cat "$dir/log" >&2
	return 1
}

# reg_bg CMD...: CMD in the background inside the namespace, holding none of
# bats' descriptors (fd 3 included, or bats would wait for it), stopped by
# reg_stop_all; its pid in REG_BG_PID
reg_bg() {
	ip netns exec "$NS" "$@" </dev/null >/dev/null 2>&1 3>&- &
	REG_BG_PID=$!
	REG_PIDS+=("$REG_BG_PID")
}

# reg_stop_all: SIGTERM to everything reg_start and reg_bg started; waits
# (2 s at most, without wait(1)) until they are gone, so nothing still
# writes under $TMP when the caller removes it
reg_stop_all() {
	local p
	for p in "${REG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${REG_PIDS[@]}"; do
		for _ in $(seq 1 20); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
	REG_PIDS=()
	REG_TLS_PORTS=' '
}

# reg_blobs NAME: how many blobs the registry NAME stores
reg_blobs() {
	find "$TMP/$1/data" -path '*/blobs/sha256/*/data' | wc -l
}

# reg_curl ARGS...: curl inside the namespace
reg_curl() {
	in_ns curl "$@"
}

# reg_url [SCHEME://]HOST:PORT: the registry's base URL; without a scheme,
# https for a port reg_start gave --tls, http otherwise
reg_url() {
	case $1 in
	http://* | https://*) echo "$1" ;;
	*) [[ $REG_TLS_PORTS == *" ${1##*:} "* ]] && echo "https://$1" || echo "http://$1" ;;
	esac
}

# reg_blob FILE [SCHEME://]HOST:PORT REPO [curl options]: upload FILE as a
# blob of REPO (POST, then PUT ?digest=); prints its digest
reg_blob() {
	local file=$1 url digest loc
	url=$(reg_url "$2")
	local repo=$3
	shift 3
	digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
	loc=$(reg_curl -sf "$@" -X POST -D - -o /dev/null "$url/v2/$repo/blobs/uploads/" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
	[ -n "$loc" ] || { echo "reg_blob: no upload location from $url/v2/$repo" >&2; return 1; }
	[[ $loc == http* ]] || loc=$url$loc
	reg_curl -sf "$@" -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$file" \
		"$loc$([[ $loc == *\?* ]] && echo '&' || echo '?')digest=$digest" >/dev/null || return 1
	echo "$digest"
}

# reg_manifest [SCHEME://]HOST:PORT/REPO:TAG CONFIG LAYER.tar... -- [curl
# options]: an image of these layers (gzipped here, gzip -n, so the same
# tar gives the same blob) and this config written through the registry's
# API; prints the manifest digest
reg_manifest() {
	local ref=$1 cfg=$2 url repo tag d l ld cd layers=() json=
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		layers+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	case $ref in
	http://* | https://*) url=${ref%%://*}://; ref=${ref#*://} ;;
	*) url= ;;
	esac
	url=$(reg_url "$url${ref%%/*}")
	repo=${ref#*/}
	tag=${repo##*:}
	repo=${repo%:*}
	d=$(mktemp -d "$TMP/put.XXXXXX")
	cd=$(reg_blob "$cfg" "$url" "$repo" "$@") || return 1
	for l in "${layers[@]}"; do
		gzip -nc <"$l" >"$d/layer.gz"
		ld=$(reg_blob "$d/layer.gz" "$url" "$repo" "$@") || return 1
		json+=${json:+,}$(printf '{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%s,"digest":"%s"}' \
			"$(stat -c %s "$d/layer.gz")" "$ld")
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[%s]}' \
		"$(stat -c %s "$cfg")" "$cd" "$json" >"$d/manifest"
	reg_curl -sf "$@" -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
		--data-binary @"$d/manifest" "$url/v2/$repo/manifests/$tag" >/dev/null || return 1
	echo "sha256:$(sha256sum "$d/manifest" | cut -d' ' -f1)"
	rm -rf "$d"
}

# reg_put_image LAYER.tar [SCHEME://]HOST:PORT/REPO:TAG [--config FILE]
# [curl options]: a one-layer image written with curl through the
# registry's API (the config FILE, or a minimal one made here); prints the
# manifest digest
reg_put_image() {
	local tar=$1 ref=$2 cfg=
	shift 2
	if [ "${1:-}" = --config ]; then
		cfg=$2
		shift 2
	else
		cfg=$(mktemp "$TMP/config.XXXXXX")
		printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
			"$(sha256sum "$tar" | cut -d' ' -f1)" >"$cfg"
	fi
	reg_manifest "$ref" "$cfg" "$tar" -- "$@"
}

# reg_fill IMAGE [SCHEME://]HOST:PORT/REPO:TAG [curl options]: IMAGE, as
# berth saves it (docker save through $DOCKER_HOST), written into the
# registry with curl: its config and every layer (gzipped here), then the
# manifest; prints the manifest digest.  Curl options go to every request
# (-u USER:PASS, --cacert FILE, --cert FILE --key FILE...).
reg_fill() {
	local image=$1 ref=$2 d cfg layers
	shift 2
	d=$(mktemp -d "$TMP/save.XXXXXX")
	docker save "$image" | tar x -C "$d" || return 1
	cfg=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$d/manifest.json") || return 1
	mapfile -t layers < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$d/manifest.json")
	reg_manifest "$ref" "$d/$cfg" "${layers[@]/#/$d/}" -- "$@" || return 1
	rm -rf "$d"
}
