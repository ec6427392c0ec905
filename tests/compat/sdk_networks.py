#!/usr/bin/python3
"""sdk_networks.py URL - drive berthd's network API with the Docker SDK for
Python (docker-py 5.0.3 from Debian) and check what comes back."""
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
    check(client.ping() is True, "ping")
    version = client.version()
    check(version["ApiVersion"] == "1.41", "version ApiVersion 1.41")
    info = client.info()
    check(info["OSType"] == "linux", "info OSType")

    names = sorted(n.name for n in client.networks.list())
    check(names == ["bridge", "host", "none"], f"predefined networks {names}")

    ipam = IPAMConfig(
        pool_configs=[IPAMPool(subnet="10.20.0.0/16", iprange="10.20.1.0/24",
                               gateway="10.20.0.1", aux_addresses={"r": "10.20.0.3"})],
        options={"o": "1"},
    )
    net = client.networks.create("pynet", driver="bridge", options={"com.docker.network.driver.mtu": "1400"},
                                 ipam=ipam, check_duplicate=True, labels={"l": "v"},
                                 attachable=True)
    check(net.name == "pynet", "create returns the network")
    cfg = net.attrs["IPAM"]["Config"][0]
    check(cfg["Subnet"] == "10.20.0.0/16" and cfg["Gateway"] == "10.20.0.1", "IPAM config kept")
    check(net.attrs["Labels"] == {"l": "v"} and net.attrs["Attachable"] is True, "labels, attachable")

    got = client.networks.get("pynet")
    check(got.id == net.id, "get by name")
    check(client.networks.get(net.id[:10]).id == net.id, "get by id prefix")

    listed = client.networks.list(names=["pynet"])
    check([n.id for n in listed] == [net.id], "list(names=)")
    listed = client.networks.list(filters={"driver": "bridge", "label": "l=v"})
    check([n.id for n in listed] == [net.id], "list(filters=driver,label)")

    try:
        client.networks.create("pynet")
        check(False, "duplicate refused")
    except APIError as e:
        check(e.status_code == 409 and "already exists" in str(e), "duplicate refused with 409")

    try:
        client.networks.get("nosuch")
        check(False, "missing network is NotFound")
    except NotFound:
        check(True, "missing network is NotFound")

    client.networks.create("pyother")
    pruned = client.networks.prune(filters={"label": "l=v"})
    check(pruned["NetworksDeleted"] == ["pynet"], f"prune with label filter {pruned}")
    client.networks.get("pyother").remove()
    check(sorted(n.name for n in client.networks.list()) == ["bridge", "host", "none"], "all gone")
    print("sdk: all checks passed")


if __name__ == "__main__":
    main()
