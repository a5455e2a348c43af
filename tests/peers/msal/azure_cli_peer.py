"""The Azure CLI's side of `--from-azure-cli` (tests/it/azure_cli.rs): MSAL Python with msal-extensions'
PersistedTokenCache over FilePersistence and its `.lockfile` (CrossPlatLock), the persistence and lock the
Azure CLI uses for `msal_token_cache.json` on Linux, in the config folder DIR.

    azure_cli_peer.py login DIR SPEC    a device code sign-in (the message on stderr, as the CLI shows it),
                                        then azureProfile.json written as the CLI writes it (utf-8-sig)
    azure_cli_peer.py renew DIR SPEC    acquire_token_silent(force_refresh) for the first account
    azure_cli_peer.py fill DIR SPEC     SPEC["count"] access tokens added one by one (no network), each a
                                        locked read-modify-write of the file, as concurrent CLI commands do
    azure_cli_peer.py check DIR SPEC    every entry's key against MSAL's key_makers, and the refresh
                                        tokens per account and client
    azure_cli_peer.py logout DIR SPEC   remove_account for every account (what `az logout` does to the cache)
    azure_cli_peer.py expire DIR SPEC   every access token removed with MSAL's remove_at, as MSAL removes
                                        one that has expired: only the refresh token can serve a scope now

SPEC is JSON: client_id, authority (the issuer URL, MSAL's oidc_authority; REQUESTS_CA_BUNDLE names the
CA), scopes. The result is printed as JSON on stdout.
"""

import codecs
import json
import os
import sys
import time

import msal
from msal_extensions import FilePersistence, PersistedTokenCache


def cache_in(folder):
    return PersistedTokenCache(FilePersistence(os.path.join(folder, "msal_token_cache.json")))


def application(folder, spec):
    return msal.PublicClientApplication(
        spec["client_id"], oidc_authority=spec["authority"], token_cache=cache_in(folder))


def login(folder, spec):
    app = application(folder, spec)
    flow = app.initiate_device_flow(scopes=spec["scopes"])
    if "user_code" not in flow:
        return {"error": flow}
    page = flow.get("verification_uri_complete") or flow["verification_uri"]
    sys.stderr.write("To sign in, use a web browser to open the page {} and enter the code {} to "
                     "authenticate.\n".format(page, flow["user_code"]))
    sys.stderr.flush()
    got = app.acquire_token_by_device_flow(flow)
    if "access_token" not in got:
        return {"error": got.get("error"), "error_description": got.get("error_description")}
    account = app.get_accounts()[0]
    tenant = spec["tenant"]
    profile = {
        "installationId": "6a1b7c1e-0000-4000-8000-000000000001",
        "subscriptions": [{
            "id": tenant, "name": "N/A(tenant level account)", "state": "Enabled",
            "user": {"name": account["username"], "type": "user"},
            "isDefault": True, "tenantId": tenant, "environmentName": "AzureCloud",
            "homeTenantId": tenant, "tenantDefaultDomain": "peers.test",
            "tenantDisplayName": "Peers", "managedByTenants": [],
        }],
    }
    # azure.cli.core._profile writes it with utf-8-sig: a byte order mark first
    with codecs.open(os.path.join(folder, "azureProfile.json"), "w", encoding="utf-8-sig") as f:
        f.write(json.dumps(profile))
    return {"username": account["username"], "home_account_id": account["home_account_id"]}


def renew(folder, spec):
    app = application(folder, spec)
    accounts = app.get_accounts()
    got = app.acquire_token_silent_with_error(spec["scopes"], account=accounts[0], force_refresh=True) or {}
    return {k: got.get(k) for k in ("access_token", "token_source", "error", "error_description")}


def fill(folder, spec):
    cache = cache_in(folder)
    now = int(time.time())
    for i in range(spec["count"]):
        cache.add({
            "client_id": spec["client_id"],
            "scope": ["api://python-{}/.default".format(i)],
            "token_endpoint": "https://peer.test/{}/oauth2/v2.0/token".format(spec["tenant"]),
            "environment": "peer.test",
            "response": {"token_type": "Bearer", "expires_in": 3600, "access_token": "python-at-{}".format(i)},
        }, now=now)
    return {"added": spec["count"]}


def check(folder, spec):
    with open(os.path.join(folder, "msal_token_cache.json")) as f:
        doc = json.load(f)
    makers = msal.TokenCache().key_makers
    wrong, refresh_tokens, counts = [], {}, {}
    for credential_type, maker in makers.items():
        entries = doc.get(credential_type, {})
        counts[credential_type] = len(entries)
        for key, entry in entries.items():
            if maker(**entry) != key:
                wrong.append({"map": credential_type, "key": key, "msal_key": maker(**entry)})
            if credential_type == "RefreshToken":
                who = "{} {} {}".format(entry.get("home_account_id"), entry.get("environment"), entry.get("client_id"))
                refresh_tokens[who] = refresh_tokens.get(who, 0) + 1
    return {"wrong_keys": wrong, "refresh_tokens": refresh_tokens, "counts": counts,
            "families": sorted({e.get("family_id") or "" for e in doc.get("RefreshToken", {}).values()})}


def logout(folder, spec):
    app = application(folder, spec)
    accounts = app.get_accounts()
    for account in accounts:
        app.remove_account(account)
    return {"removed": len(accounts)}


def expire(folder, spec):
    cache = cache_in(folder)
    tokens = list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN))
    for token in tokens:
        cache.remove_at(token)
    return {"removed": len(tokens)}


def main():
    command, folder, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    result = {"login": login, "renew": renew, "fill": fill, "check": check, "logout": logout,
                                 "expire": expire}[command](folder, spec)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
