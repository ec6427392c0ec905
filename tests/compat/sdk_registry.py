#!/usr/bin/python3
"""sdk_registry.py URL REGISTRY USER PASSWORD - login, push and pull with
the Docker SDK for Python (docker-py 5.0.3 from Debian) against berthd and
a registry that wants credentials (htpasswd).  An image "sdkimg:1" must be
there."""
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
    reg, user, password = sys.argv[2:5]
    repo = f"{reg}/sdk/img"
    img = client.images.get("sdkimg:1")
    check(img.tag(repo, "1") is True, "tag for the registry")

    # no credentials: the push stream ends with the registry's refusal
    lines = list(client.api.push(repo, tag="1", stream=True, decode=True))
    check(any("authentication required" in m.get("error", "") for m in lines),
          f"push without credentials refused: {lines[-1]}")

    try:
        client.login(username=user, password="wrong", registry=reg, reauth=True)
        check(False, "login with a wrong password fails")
    except APIError as e:
        check(e.status_code == 401 and "incorrect username or password" in str(e),
              f"login with a wrong password: 401 ({e})")
    res = client.login(username=user, password=password, registry=reg, reauth=True)
    check(res.get("Status") == "Login Succeeded", f"login: {res}")

    # docker-py sends the credentials of its login with push and pull
    lines = list(client.api.push(repo, tag="1", stream=True, decode=True))
    check(not any("error" in m for m in lines), f"push with credentials: {lines[-1]}")
    aux = [m["aux"] for m in lines if "aux" in m]
    check(aux and aux[0]["Tag"] == "1" and aux[0]["Digest"].startswith("sha256:"),
          f"push aux {aux}")
    digest = aux[0]["Digest"]
    progress = [m for m in lines if m.get("status") in ("Pushing", "Pushed")]
    check(progress, "push progress messages")

    client.images.remove(f"{repo}:1")
    pulled = client.images.pull(repo, tag="1")
    check(pulled.id == img.id, "pull with credentials gives the same image")
    client.images.remove(f"{repo}:1")
    by_digest = client.images.pull(f"{repo}@{digest}")
    check(by_digest.id == img.id, "pull by digest")
    # explicit auth_config on a fresh client (no login): wrong, then right
    fresh = docker.DockerClient(base_url=sys.argv[1])
    try:
        fresh.images.pull(repo, tag="1", auth_config={"username": user, "password": "nope"})
        check(False, "pull with wrong credentials fails")
    except APIError as e:
        check("incorrect username or password" in str(e) or "denied" in str(e),
              f"pull with wrong credentials: {e}")
    try:
        fresh.images.pull(f"{reg}/sdk/nothere", tag="1",
                          auth_config={"username": user, "password": password})
        check(False, "pull of an unknown repository fails")
    except NotFound as e:
        check("not found" in str(e), f"pull of an unknown repository: NotFound ({e})")
    print("sdk: all checks passed")


if __name__ == "__main__":
    main()
