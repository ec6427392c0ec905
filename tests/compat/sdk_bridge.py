#!/usr/bin/python3
"""sdk_bridge.py URL - containers on bridge networks through the Docker SDK
for Python (docker-py 5.0.3 from Debian): run on a network, connect and
disconnect (with aliases and a static address), published ports, and the
attributes the SDK reads (NetworkSettings, ports)."""
import sys

import docker
from docker.errors import APIError, NotFound
from docker.types import IPAMConfig, IPAMPool


def check(cond, what):
    if not cond:
        print(f"sdk: FAILED: {what}")
        sys.exit(1)
    print(f"sdk: ok: {what}")


def main():
    client = docker.DockerClient(base_url=sys.argv[1])
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet="10.20.1.0/24")])
    pynet = client.networks.create("pynet", ipam=ipam)
    other = client.networks.create("pyother")

    # containers.run(network=) hits docker-py's NetworkingConfig bug: NetworkMode rules
    web = client.containers.run("busybox", ["sleep", "300"], name="pyweb", detach=True,
                                network="pynet", ports={"80/tcp": 8080, "53/udp": None})
    web.reload()
    nets = web.attrs["NetworkSettings"]["Networks"]
    check(list(nets) == ["pynet"], f"on pynet only: {list(nets)}")
    check(nets["pynet"]["IPAddress"].startswith("10.20.1."), "address from the subnet")
    check(web.ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}], f"ports {web.ports}")
    udp = web.ports["53/udp"]
    check(udp and int(udp[0]["HostPort"]) > 1024, "a random host port for 53/udp")

    # low-level API: a static address and aliases at create
    api = client.api
    ctr = api.create_container(
        "busybox", ["sleep", "300"], name="pyc2",
        networking_config=api.create_networking_config(
            {"pynet": api.create_endpoint_config(aliases=["al"], ipv4_address="10.20.1.9")}),
        host_config=api.create_host_config(network_mode="pynet"))
    api.start(ctr["Id"])
    c2 = client.containers.get("pyc2")
    ep = c2.attrs["NetworkSettings"]["Networks"]["pynet"]
    check(ep["IPAddress"] == "10.20.1.9" and ep["Aliases"] == ["al"], f"static address, aliases {ep}")

    other.connect("pyc2", aliases=["a1"])
    c2.reload()
    check(sorted(c2.attrs["NetworkSettings"]["Networks"]) == ["pynet", "pyother"], "connected")
    code, out = c2.exec_run("ip -o link")
    check(b"eth1" in out, "eth1 appears in the running container")
    try:
        other.connect("pyc2")
        check(False, "connecting twice is refused")
    except APIError as e:
        check(e.status_code == 403 and "already exists" in str(e), "connecting twice: 403")
    other.reload()
    check(c2.id in other.attrs["Containers"], "network inspect lists the container")
    other.disconnect("pyc2", force=True)
    c2.reload()
    check(list(c2.attrs["NetworkSettings"]["Networks"]) == ["pynet"], "disconnected")
    try:
        other.connect("nosuch")
        check(False, "unknown container")
    except NotFound:
        check(True, "connecting an unknown container: NotFound")
    try:
        pynet.remove()
        check(False, "a network in use cannot be removed")
    except APIError as e:
        check(e.status_code == 403 and "active endpoints" in str(e), "network in use: 403")

    listed = client.containers.list(filters={"network": "pynet"})
    check(sorted(c.name for c in listed) == ["pyc2", "pyweb"], "list(filters=network)")
    for c in (web, c2):
        c.remove(force=True)
    pynet.remove()
    other.remove()
    print("sdk: all checks passed")


if __name__ == "__main__":
    main()
