"""MSAL Python's side of the token cache round trips (tests/it/msal_cache.rs, tests/it/msal_cli.rs).

    cache_peer.py write PATH SPEC   writes a cache the way MSAL Python does, with no network
    cache_peer.py read PATH SPEC    reads a cache with MSAL Python's own applications and asks them for
                                    tokens silently; any token request fails the run
    cache_peer.py app PATH SPEC     a ConfidentialClientApplication on a live OIDC authority, its cache
                                    loaded from PATH: acquire_token_for_client for each scope list
    cache_peer.py user PATH SPEC    a PublicClientApplication on a live OIDC authority, its cache loaded
                                    from PATH: the accounts, and acquire_token_silent for the first one

SPEC is JSON: client_id, and for `write`/`read` the tenant (a Microsoft authority, no network), the
tokens and the account to put in; for `app`/`user` the `authority` (the issuer URL, MSAL's
`oidc_authority`: https only, REQUESTS_CA_BUNDLE names the CA), `client_secret` (app) and `requests`:
scope lists (app), or objects with `scopes` and optionally `force_refresh` (user). `app` and `user`
write the cache back to PATH with MSAL's serialize() when it changed, as an application persisting its
cache does. The result is printed as JSON on stdout.
"""

import base64
import json
import sys
import time

import msal

HOST = "login.microsoftonline.com"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_jwt(claims):
    return "{}.{}.{}".format(
        b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
        b64(json.dumps(claims).encode()),
        b64(b"sig"),
    )


def token_endpoint(tenant):
    return "https://{}/{}/oauth2/v2.0/token".format(HOST, tenant)


def write(path, spec):
    """What MSAL Python's applications store after a user's sign-in and an app's client credentials."""
    cache = msal.SerializableTokenCache()
    now = int(time.time())
    user = spec["user"]
    cache.add({
        "client_id": spec["client_id"],
        "scope": user["scopes"],
        "token_endpoint": token_endpoint(spec["tenant"]),
        "environment": HOST,
        "grant_type": "authorization_code",
        "response": {
            "token_type": "Bearer",
            "scope": " ".join(user["scopes"]),
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": user["access_token"],
            "refresh_token": user["refresh_token"],
            "id_token": unsigned_jwt({
                "aud": spec["client_id"],
                "iss": "https://{}/{}/v2.0".format(HOST, user["utid"]),
                "iat": now, "nbf": now, "exp": now + 3600,
                "oid": user["uid"], "sub": "sub-" + user["uid"], "tid": user["utid"],
                "preferred_username": user["username"],
            }),
            "client_info": b64(json.dumps({"uid": user["uid"], "utid": user["utid"]}).encode()),
        },
    }, now=now)
    app = spec["app"]
    cache.add({
        "client_id": spec["client_id"],
        "scope": app["scopes"],
        "token_endpoint": token_endpoint(spec["tenant"]),
        "environment": HOST,
        "grant_type": "client_credentials",
        "response": {
            "token_type": "Bearer",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": app["access_token"],
        },
    }, now=now)
    with open(path, "w") as f:
        f.write(cache.serialize())
    return {"written": path}


class Response(object):
    def __init__(self, body):
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        pass


class NoTokenRequests(object):
    """An http_client that knows the discovery documents and refuses every token request, so a token
    can only come from the cache."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.gets = []

    def get(self, url, params=None, headers=None, **kwargs):
        self.gets.append(url)
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
        raise AssertionError("token request to {}: the token should have come from the cache".format(url))

    def close(self):
        pass


def read(path, spec):
    cache = msal.SerializableTokenCache()
    with open(path) as f:
        cache.deserialize(f.read())
    http = NoTokenRequests(spec["tenant"])
    authority = "https://{}/{}".format(HOST, spec["tenant"])
    public = msal.PublicClientApplication(
        spec["client_id"], authority=authority, token_cache=cache, http_client=http)
    accounts = public.get_accounts()
    user = None
    if accounts:
        got = public.acquire_token_silent(spec["scopes"], account=accounts[0])
        user = got and {k: got.get(k) for k in ("access_token", "token_type", "token_source", "error")}
    confidential = msal.ConfidentialClientApplication(
        spec["client_id"], client_credential="never-sent", authority=authority, token_cache=cache,
        http_client=http)
    got = confidential.acquire_token_for_client(spec["app_scopes"])
    app = {k: got.get(k) for k in ("access_token", "token_type", "token_source", "error")}
    return {
        "msal": msal.__version__,
        "accounts": [
            {k: a.get(k) for k in ("home_account_id", "environment", "username", "realm", "local_account_id")}
            for a in accounts
        ],
        "user": user,
        "app": app,
    }


def result_of(got):
    """What a test compares: the token, and whether it came from the cache or the provider."""
    got = got or {}
    return {k: got.get(k) for k in ("access_token", "token_source", "error", "error_description")}


def load(path):
    cache = msal.SerializableTokenCache()
    with open(path) as f:
        cache.deserialize(f.read())
    return cache


def persist(path, cache):
    # Rewriting the file in place keeps its mode, as MSAL's own persistence (msal-extensions) does.
    changed = cache.has_state_changed
    if changed:
        with open(path, "w") as f:
            f.write(cache.serialize())
    return changed


def app(path, spec):
    cache = load(path)
    application = msal.ConfidentialClientApplication(
        spec["client_id"], client_credential=spec["client_secret"], oidc_authority=spec["authority"],
        token_cache=cache)
    results = [result_of(application.acquire_token_for_client(scopes)) for scopes in spec["requests"]]
    return {"results": results, "wrote": persist(path, cache)}


def user(path, spec):
    cache = load(path)
    application = msal.PublicClientApplication(
        spec["client_id"], oidc_authority=spec["authority"], token_cache=cache)
    accounts = application.get_accounts()
    results = [
        result_of(application.acquire_token_silent_with_error(
            request["scopes"], account=accounts[0], force_refresh=request.get("force_refresh", False)))
        for request in spec["requests"]
    ] if accounts else []
    return {
        "accounts": [
            {k: a.get(k) for k in ("home_account_id", "environment", "username", "realm", "local_account_id")}
            for a in accounts
        ],
        "results": results,
        "wrote": persist(path, cache),
    }


def main():
    command, path, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    result = {"write": write, "read": read, "app": app, "user": user}[command](path, spec)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
