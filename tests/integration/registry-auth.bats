#!/usr/bin/env bats
# registry-auth.bats - registries that want credentials or TLS: Debian's
# docker-registry with htpasswd auth, with Bearer tokens from a token
# service (tools/tokenserver.py), and with certificates from a CA made by
# the test, inside the test's namespace.  Login (right and wrong
# password) through the docker CLI, berth and the Docker SDK; the
# credentials kept in the clients' config files; pushes and pulls with
# them; TLS checked against <config-dir>/certs.d (refused without the CA,
# --insecure-registry instead, client certificates).  The TLS registry
# listens on 192.0.2.1, an address on the namespace's loopback: 127.0.0.0/8
# is insecure by default, as in Docker.

load helpers
load registry
bats_require_minimum_version 1.5.0

setup_file() {
	busybox_build
}

setup() {
	[ -x /usr/bin/docker-registry ] || skip "docker-registry missing"
	berth_setup rauth
	mkdir -p "$TMP/etc/certs.d"
	export BERTH_CONFIG=$TMP/berth-config
}

teardown() {
	reg_stop_all
	berth_teardown
}

@test "htpasswd: refused without credentials, login right and wrong (docker CLI, berth), push and pull with them, logout" {
	REG=127.0.0.1:5000
	reg_start auth 5000 --auth alice:s3cret
	berthd_start --config-dir "$TMP/etc"
	docker import "$BUSYBOX_TAR" "$REG/team/bb:v1" >/dev/null
	id=$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"unauthorized: authentication required"* ]]
	# a wrong password: refused with the registry's reason, nothing stored
	run docker login -u alice --password-stdin "$REG" <<<"wrong"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"incorrect username or password"* ]]
	[ ! -e "$DOCKER_CONFIG/config.json" ] || ! grep -q "$REG" "$DOCKER_CONFIG/config.json"
	run api POST /auth '{"username":"alice","password":"wrong","serveraddress":"127.0.0.1:5000"}'
	[ "${lines[-1]}" = "HTTP 401" ]
	run berth login -u alice -p wrong "$REG"
	[ "$status" -ne 0 ]
	[[ $output == *"incorrect username or password"* ]]
	[ ! -e "$BERTH_CONFIG/config.json" ]
	# right
	run docker login -u alice --password-stdin "$REG" <<<"s3cret"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Login Succeeded"* ]]
	run berth login -u alice --password-stdin "$REG" <<<"s3cret"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Login Succeeded" ]
	[ "$(stat -c %a "$BERTH_CONFIG/config.json")" = 600 ]
	[ "$(stat -c %a "$BERTH_CONFIG")" = 700 ]
	[ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["auths"]["127.0.0.1:5000"]["auth"])' "$BERTH_CONFIG/config.json")" = "$(printf alice:s3cret | base64)" ]
	# push and pull with them, through both CLIs
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	docker rmi "$REG/team/bb:v1" >/dev/null
	run berth pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")" = "$id" ]
	berth tag "$REG/team/bb:v1" "$REG/team/bb:v2"
	run berth push "$REG/team/bb:v2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"v2: digest: sha256:"* ]]
	# logout: gone from the file, and the registry refuses again
	run berth logout "$REG"
	[ "$output" = "Removing login credentials for $REG" ]
	run berth logout "$REG"
	[ "$output" = "Not logged in to $REG" ]
	[ "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["auths"])' "$BERTH_CONFIG/config.json")" = "{}" ]
	berth rmi "$REG/team/bb:v1" "$REG/team/bb:v2" >/dev/null
	run berth pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"authentication required"* ]]
	[ -z "$(docker images -q)" ]
}

@test "the Docker SDK logs in, pushes and pulls (with and without its login)" {
	REG=127.0.0.1:5000
	reg_start auth 5000 --auth alice:s3cret
	berthd_start --config-dir "$TMP/etc"
	docker import "$BUSYBOX_TAR" sdkimg:1 >/dev/null
	run /usr/bin/python3 "$BERTH_SRC/tests/compat/sdk_registry.py" "unix://$SOCK" "$REG" alice s3cret
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "sdk: all checks passed" ]
}

@test "TLS: the registry's CA from certs.d, refused without it, --insecure-registry, client certificates" {
	ip -n "$NS" addr add 192.0.2.1/32 dev lo
	REG=192.0.2.1:5443
	reg_start tls 5443 --tls --any
	berthd_start --config-dir "$TMP/etc"
	docker import "$BUSYBOX_TAR" "$REG/team/bb:v1" >/dev/null
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"x509: the registry's certificate is not trusted (put its CA in $TMP/etc/certs.d/$REG/ca.crt"* ]]
	mkdir -p "$TMP/etc/certs.d/$REG"
	cp "$TMP/tls/certs/ca.crt" "$TMP/etc/certs.d/$REG/ca.crt"
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	docker rmi "$REG/team/bb:v1" >/dev/null
	run docker pull "$REG/team/bb:v1"
	[ "$status" -eq 0 ]
	# without the CA but listed insecure: unverified TLS
	rm "$TMP/etc/certs.d/$REG/ca.crt"
	berthd_stop
	berthd_start --config-dir "$TMP/etc" --insecure-registry "$REG"
	docker rmi "$REG/team/bb:v1" >/dev/null
	run docker pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	# a registry that wants client certificates: refused without, served with
	reg_stop_all
	reg_start mtls 5444 --tls --client-certs --any
	R2=192.0.2.1:5444
	mkdir -p "$TMP/etc/certs.d/$R2"
	cp "$TMP/mtls/certs/ca.crt" "$TMP/etc/certs.d/$R2/ca.crt"
	berthd_stop
	berthd_start --config-dir "$TMP/etc"
	docker tag "$REG/team/bb:v1" "$R2/team/bb:v1"
	run docker push "$R2/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	cp "$TMP/mtls/certs/client.cert" "$TMP/mtls/certs/client.key" "$TMP/etc/certs.d/$R2/"
	run docker push "$R2/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	# a client certificate without its key: a clear error
	rm "$TMP/etc/certs.d/$R2/client.key"
	run docker pull "$R2/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"missing key client.key for client certificate client.cert"* ]]
}

@test "a plain-HTTP registry on another address needs --insecure-registry (by name or by CIDR)" {
	ip -n "$NS" addr add 192.0.2.1/32 dev lo
	REG=192.0.2.1:5000
	reg_start plain 5000 --any
	berthd_start --config-dir "$TMP/etc"
	docker import "$BUSYBOX_TAR" "$REG/team/bb:v1" >/dev/null
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"--insecure-registry $REG"* ]]
	berthd_stop
	berthd_start --config-dir "$TMP/etc" --insecure-registry 192.0.2.0/24
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "Bearer tokens (a token service): anonymous pulls only, login, push and pull with tokens for their scope" {
	REG=127.0.0.1:5000
	reg_start tok 5000 --token alice:s3cret
	for _ in $(seq 1 50); do in_ns curl -s -o /dev/null http://127.0.0.1:5100/token && break; sleep 0.1; done
	berthd_start --config-dir "$TMP/etc"
	docker import "$BUSYBOX_TAR" "$REG/team/bb:v1" >/dev/null
	id=$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")
	# anonymous: the token grants pull only, so the push is refused
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"denied"* || $output == *"unauthorized"* ]]
	grep -q "^- \['repository:team/bb:pull,push'\] 200" "$TMP/tok/token.log"
	# wrong password: the token service refuses
	run docker login -u alice --password-stdin "$REG" <<<"wrong"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"incorrect username or password"* ]]
	run docker login -u alice --password-stdin "$REG" <<<"s3cret"
	[ "$status" -eq 0 ]
	run docker push "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^alice \['repository:team/bb:pull,push'\] 200" "$TMP/tok/token.log"
	docker rmi "$REG/team/bb:v1" >/dev/null
	# an anonymous pull gets a pull token and works
	mv "$DOCKER_CONFIG/config.json" "$TMP/saved.json"
	run docker pull "$REG/team/bb:v1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker inspect -f '{{.Id}}' "$REG/team/bb:v1")" = "$id" ]
	grep -q "^- \['repository:team/bb:pull'\] 200" "$TMP/tok/token.log"
}
