"""The program a user would write instead of `msconnect <module> token`: MSAL Python (PyPI `msal`) loads
the token cache file and gets the access token from it silently. `cargo xtask bench` times it against
msconnect on the same cache file.

    msal_token.py prime DIR   answers MSAL's discovery requests once, from here, and keeps them in
                              DIR/msal_http_cache.pickle (MSAL's documented http_cache), as a real
                              script that persists its HTTP cache would have them
    msal_token.py token DIR   what is timed: the token for DIR/bench_spec.json's account, printed on
                              stdout; any HTTP request fails the run, so the token can only come from
                              the cache

DIR holds msal_token_cache.json and bench_spec.json (client_id, tenant, home_account_id, scopes), both
written by the bench_fixture example of msconnect-auth-core.
"""

import json
import os
import pickle
import sys

import msal

HOST = "login.microsoftonline.com"


class Response(object):
    def __init__(self, body):
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        pass


class Discovery(object):
    """Answers the discovery documents as Microsoft Entra ID does, and nothing else."""

    def __init__(self, tenant):
        self.tenant = tenant

    def get(self, url, params=None, headers=None, **kwargs):
        if url.endswith("/.well-known/openid-configuration"):
            base = "https://{}/{}".format(HOST, self.tenant)
            return Response({
                "issuer": base + "/v2.0",
                "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                "token_endpoint": base + "/oauth2/v2.0/token",
                "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
            })
        if "/discovery/instance" in url:
            return Response({"tenant_discovery_endpoint": "unused", "metadata": [{
                "preferred_network": HOST, "preferred_cache": "login.windows.net",
                "aliases": [HOST, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
            }]})
        raise AssertionError("unexpected GET " + url)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        raise AssertionError("unexpected POST " + url)

    def close(self):
        pass


class NoRequests(object):
    """Fails on any request: the token must come from the cache."""

    def get(self, url, **kwargs):
        raise AssertionError("GET {}: everything should have come from the caches".format(url))

    def post(self, url, **kwargs):
        raise AssertionError("POST {}: the token should have come from the cache".format(url))

    def close(self):
        pass


def load(directory):
    with open(os.path.join(directory, "bench_spec.json")) as f:
        spec = json.load(f)
    cache = msal.SerializableTokenCache()
    with open(os.path.join(directory, "msal_token_cache.json")) as f:
        cache.deserialize(f.read())
    return spec, cache


def application(spec, cache, http_client, http_cache):
    return msal.PublicClientApplication(
        spec["client_id"],
        authority="https://{}/{}".format(HOST, spec["tenant"]),
        token_cache=cache,
        http_client=http_client,
        http_cache=http_cache,
    )


def token(spec, app):
    account = next(a for a in app.get_accounts() if a["home_account_id"] == spec["home_account_id"])
    result = app.acquire_token_silent(spec["scopes"], account=account)
    if not result or "access_token" not in result:
        raise SystemExit("no token from the cache: {}".format(result))
    return result["access_token"]


def main():
    command, directory = sys.argv[1], sys.argv[2]
    http_cache_path = os.path.join(directory, "msal_http_cache.pickle")
    spec, cache = load(directory)
    if command == "prime":
        http_cache = {}
        token(spec, application(spec, cache, Discovery(spec["tenant"]), http_cache))
        with open(http_cache_path, "wb") as f:
            pickle.dump(http_cache, f)
    elif command == "token":
        with open(http_cache_path, "rb") as f:
            http_cache = pickle.load(f)
        print(token(spec, application(spec, cache, NoRequests(), http_cache)))
    else:
        raise SystemExit("usage: msal_token.py prime|token DIR")


if __name__ == "__main__":
    main()
