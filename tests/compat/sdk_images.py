#!/usr/bin/python3
"""sdk_images.py URL ROOTFS.tar - import, list, get, tag and remove images
on berthd with the Docker SDK for Python (docker-py 5.0.3 from Debian)."""
import json
import sys

import docker
from docker.errors import APIError, ImageNotFound


def check(cond, what):
    if not cond:
        print(f"sdk: FAILED: {what}")
        sys.exit(1)
    print(f"sdk: ok: {what}")


def main():
    client = docker.DockerClient(base_url=sys.argv[1])
    tarball = sys.argv[2]

    out = client.api.import_image(src=tarball, repository="pyimg", tag="v1",
                                  changes=['CMD ["/bin/sh"]'])
    status = json.loads(out.strip().splitlines()[-1])["status"]
    check(status.startswith("sha256:") and len(status) == 71, f"import_image status {status}")

    img = client.images.get("pyimg:v1")
    check(img.id == status, "images.get by name:tag")
    check(img.tags == ["pyimg:v1"], f"tags {img.tags}")
    check(img.attrs["Config"]["Cmd"] == ["/bin/sh"], "changes applied")
    check(client.images.get(status[7:19]).id == status, "images.get by short id")

    check(img.tag("pyorg/tool", "2") is True, "image.tag")
    listed = client.images.list()
    check([i.id for i in listed] == [status], "images.list")
    check(sorted(listed[0].tags) == ["pyimg:v1", "pyorg/tool:2"], f"list tags {listed[0].tags}")
    check([i.id for i in client.images.list(name="pyorg/tool")] == [status],
          "images.list(name=) filters by reference")

    client.images.remove("pyimg:v1")
    check(client.images.get("pyorg/tool:2").tags == ["pyorg/tool:2"], "remove untags only")
    client.images.remove("pyorg/tool:2")
    try:
        client.images.get(status)
        check(False, "removed image is gone")
    except ImageNotFound:
        check(True, "removed image is gone (ImageNotFound)")
    try:
        client.images.remove("nosuch")
        check(False, "remove of a missing image fails")
    except ImageNotFound:
        check(True, "remove of a missing image: ImageNotFound")
    # (a registry on the namespace's loopback where nothing listens:
    # registry.bats pulls from a real one)
    try:
        client.images.pull("127.0.0.1:1/busybox", tag="latest")
        check(False, "a pull from a registry that is not there fails")
    except APIError as e:
        check("127.0.0.1:1" in str(e), "a pull from a registry that is not there: a clear error")
    print("sdk: all checks passed")


if __name__ == "__main__":
    main()
