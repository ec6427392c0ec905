#!/usr/bin/python3
"""sdk_volumes.py URL - create, list, get and remove volumes on berthd with
the Docker SDK for Python (docker-py 5.0.3 from Debian), and a container
that writes into a named volume and one that reads it back."""
import sys

import docker
from docker.errors import APIError, NotFound


def check(cond, what):
    if not cond:
        print(f"sdk: FAILED: {what}")
        sys.exit(1)
    print(f"sdk: ok: {what}")


def main():
    client = docker.DockerClient(base_url=sys.argv[1])

    vol = client.volumes.create("pyvol", driver="local", labels={"a": "b"})
    check(vol.name == "pyvol", "volumes.create name")
    check(vol.attrs["Driver"] == "local" and vol.attrs["Scope"] == "local", "driver and scope")
    check(vol.attrs["Labels"] == {"a": "b"}, f"labels {vol.attrs['Labels']}")
    check(vol.attrs["Mountpoint"].endswith("/volumes/pyvol/_data"), "mountpoint")

    names = [v.name for v in client.volumes.list()]
    check("pyvol" in names, f"volumes.list {names}")
    check([v.name for v in client.volumes.list(filters={"label": "a=b"})] == ["pyvol"],
          "volumes.list with a label filter")
    check(client.volumes.get("pyvol").id == "pyvol", "volumes.get")

    out = client.containers.run("busybox", ["sh", "-c", "echo py > /v/f"], remove=True,
                                network_mode="none", volumes={"pyvol": {"bind": "/v", "mode": "rw"}})
    out = client.containers.run("busybox", ["cat", "/v/f"], remove=True, network_mode="none",
                                volumes=["pyvol:/v:ro"])
    check(out.strip() == b"py", f"data through a named volume: {out!r}")

    ctr = client.containers.create("busybox", ["true"], network_mode="none",
                                   volumes={"pyvol": {"bind": "/v", "mode": "rw"}})
    mounts = ctr.attrs["Mounts"]
    check(len(mounts) == 1 and mounts[0]["Type"] == "volume" and mounts[0]["Name"] == "pyvol",
          f"container Mounts {mounts}")
    try:
        vol.remove()
        check(False, "in-use volume removed")
    except APIError as e:
        check(e.status_code == 409 and "volume is in use" in str(e), "in-use volume refused")
    ctr.remove(v=True)

    vol.remove(force=True)
    try:
        client.volumes.get("pyvol")
        check(False, "volume still there")
    except NotFound:
        check(True, "volume removed")

    client.volumes.create("pyvol2")
    pruned = client.volumes.prune()
    check("pyvol2" in (pruned["VolumesDeleted"] or []), f"volumes.prune {pruned}")
    print("sdk: all checks passed")


if __name__ == "__main__":
    main()
