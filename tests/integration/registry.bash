# registry.bash - Docker Registry fixtures for the bats files: Debian's
# docker-registry (distribution 2.8) started inside the test's namespace
# ($NS, from berth_setup) on 127.0.0.1 — or on every address of the
# namespace, for TLS tests on a non-loopback one —, with htpasswd auth, TLS
# from a CA made here, or as a pull-through cache of another registry.
# Everything lives under $TMP/<name>; reg_stop_all stops what reg_start
# started.

REG_PIDS=()

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
#           [--client-certs] [--any] [--proxy URL]
#   --auth          htpasswd (bcrypt, made with python's crypt)
#   --token         Bearer tokens from tools/tokenserver.py on PORT+100
#                   (started here; its log in $TMP/NAME/token.log)
#   --tls           https with a certificate of $TMP/NAME/certs (reg_certs)
#   --client-certs  with --tls: clients need a certificate of that CA
#   --any           listen on every address of the namespace, not 127.0.0.1
#   --proxy URL     a pull-through cache of the registry at URL
reg_start() {
	local name=$1 port=$2 auth= token= tls= clientcas= addr=127.0.0.1 proxy= dir
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--auth) auth=$2; shift ;;
		--token) token=$2; shift ;;
		--tls) tls=1 ;;
		--client-certs) clientcas=1 ;;
		--any) addr=0.0.0.0 ;;
		--proxy) proxy=$2; shift ;;
		*) echo "reg_start: unknown option $1" >&2; return 1 ;;
		esac
		shift
	done
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
			/usr/bin/python3 -W ignore -c 'import crypt, sys; u, p = sys.argv[1].split(":", 1); print(u + ":" + crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
				"$auth" >"$dir/htpasswd"
			printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$dir/htpasswd"
		fi
		if [ -n "$token" ]; then
			openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" \
				-out "$dir/token.crt" -days 2 -subj /CN=berth-token 2>/dev/null
			printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: berth-test\n    issuer: berth-test-issuer\n    rootcertbundle: %s\n' \
				"$((port + 100))" "$dir/token.crt"
		fi
		[ -n "$proxy" ] && printf 'proxy:\n  remoteurl: %s\n' "$proxy"
	} >"$dir/config.yml"
	ip netns exec "$NS" /usr/bin/docker-registry serve "$dir/config.yml" </dev/null \
		>"$dir/log" 2>&1 3>&- &
	REG_PIDS+=("$!")
	if [ -n "$token" ]; then
		ip netns exec "$NS" /usr/bin/python3 "$BERTH_SRC/tests/integration/tools/tokenserver.py" \
			"$((port + 100))" "$token" "$dir/token.key" "$dir/token.crt" berth-test-issuer \
			"$dir/token.log" </dev/null >"$dir/token.out" 2>&1 3>&- &
		REG_PIDS+=("$!")
	fi
	local scheme=http i
	[ -n "$tls" ] && scheme=https
	for i in $(seq 1 100); do
		# any answer (401 included) means it is up
		[ "$(in_ns curl -sk ${clientcas:+--cert "$dir/certs/client.cert" --key "$dir/certs/client.key"} -o /dev/null -w "%{http_code}" "$scheme://127.0.0.1:$port/v2/")" != 000 ] &&
			return 0
		sleep 0.1
	done
	echo "registry $name did not start:" >&2
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

reg_stop_all() {
	local p
	for p in "${REG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	REG_PIDS=()
}

# reg_blobs NAME: how many blobs the registry NAME stores
reg_blobs() {
	find "$TMP/$1/data" -path '*/blobs/sha256/*/data' | wc -l
}

# reg_curl ARGS...: curl inside the namespace
reg_curl() {
	in_ns curl "$@"
}

# reg_blob FILE HOST:PORT REPO [curl options]: upload FILE as a blob of
# REPO (POST, then PUT ?digest=); prints its digest
reg_blob() {
	local file=$1 reg=$2 repo=$3 digest loc
	shift 3
	digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
	loc=$(reg_curl -sf "$@" -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
	[[ $loc == http* ]] || loc=http://$reg$loc
	reg_curl -sf "$@" -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$file" \
		"$loc$([[ $loc == *\?* ]] && echo '&' || echo '?')digest=$digest" >/dev/null
	echo "$digest"
}

# reg_put_image LAYER.tar HOST:PORT/REPO:TAG [--config FILE] [curl options]:
# a one-layer image written with curl through the registry's API (the
# layer gzipped; the config FILE, or a minimal one made here); prints the
# manifest digest
reg_put_image() {
	local tar=$1 ref=$2 reg repo tag d cfg= cd ld diff
	shift 2
	if [ "${1:-}" = --config ]; then
		cfg=$2
		shift 2
	fi
	reg=${ref%%/*}
	repo=${ref#*/}
	tag=${repo##*:}
	repo=${repo%:*}
	d=$(mktemp -d "$TMP/put.XXXXXX")
	diff=sha256:$(sha256sum "$tar" | cut -d' ' -f1)
	gzip -nc <"$tar" >"$d/layer.gz"
	if [ -n "$cfg" ]; then
		cp "$cfg" "$d/config"
	else
		printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
			"$diff" >"$d/config"
	fi
	cd=$(reg_blob "$d/config" "$reg" "$repo" "$@")
	ld=$(reg_blob "$d/layer.gz" "$reg" "$repo" "$@")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%s,"digest":"%s"}]}' \
		"$(stat -c %s "$d/config")" "$cd" "$(stat -c %s "$d/layer.gz")" "$ld" >"$d/manifest"
	reg_curl -sf "$@" -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
		--data-binary @"$d/manifest" "http://$reg/v2/$repo/manifests/$tag" >/dev/null
	echo "sha256:$(sha256sum "$d/manifest" | cut -d' ' -f1)"
}
