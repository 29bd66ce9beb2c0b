"""Schemathesis hooks for the emulator run (see README.md and schemathesis.toml beside this file).

1. `before_call` keeps the run on this machine and bounded in time. It runs just before each request is
   sent, in every phase; Schemathesis re-validates the case afterwards, so an edit that happens to make a
   negative case valid is judged as positive, never reported as a false failure.
2. `before_call`/`after_call` keep a small fixture in place (FIXTURE_ACCOUNTS: integrations with the reference ids
   and risk events for the users of schemathesis.toml's dictionaries), laid before the first request and again
   after every reset or import wiped it, so reads by reference id and by user reach real data.
3. `filter_failure` accepts the few refusals of schema-valid input that come from a rule the document
   cannot state (server state, a run-time catalogue, a rule across fields), each by its error code.
"""

import re

import requests
import schemathesis

# Where generated push targets go instead: loopback port 9, which fetch refuses to contact ("bad port").
LOOPBACK = "127.0.0.1:9"
URL = re.compile(r"^([hH][tT][tT][pP][sS]?://)([^/?#]*)(.*)$", re.DOTALL)
# Body fields the emulator sends HTTP requests to: an integration's Okta tenant, a push stream's receiver.
TARGET_FIELDS = {"tenant_url", "endpoint_url"}


def _to_loopback(value):
    """A generated http(s) URL keeps its path but gets a loopback host: no SET is ever pushed off the machine."""
    if isinstance(value, dict):
        return {
            key: URL.sub(lambda m: m.group(1) + LOOPBACK + m.group(3), item)
            if key in TARGET_FIELDS and isinstance(item, str)
            else _to_loopback(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_to_loopback(item) for item in value]
    return value


# The same values as the dictionaries in schemathesis.toml.
FIXTURE_ACCOUNTS = ["023e105f4ecef8ad9ca31a8372d0c353", "f037e56e89293a057740de681ac9abbe"]
FIXTURE_USERS = ["6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234", "0b5d9e3a-7c21-4f6e-8d4a-1e2f3a4b5c6d"]
FIXTURE_REFERENCE_IDS = ["okta-idp-1", "okta-idp-2"]
WIPES = {"/__emulator/v1/reset", "/__emulator/v1/accounts/{account_id}/reset", "/__emulator/v1/state", "/__emulator/v1/accounts/{account_id}/state"}
_fixture_laid = False


def _lay_fixture(base_url):
    """Integrations and risk events in the fixture accounts; a duplicate reference id (400) means it is there."""
    global _fixture_laid
    _fixture_laid = True
    auth = {"Authorization": "Bearer schemathesis"}
    for account in FIXTURE_ACCOUNTS:
        for reference_id in FIXTURE_REFERENCE_IDS:
            body = {"integration_type": "Okta", "tenant_url": f"http://{LOOPBACK}", "reference_id": reference_id}
            requests.post(f"{base_url}/accounts/{account}/zt_risk_scoring/integrations", json=body, headers=auth, timeout=10)
        events = [{"user_id": user, "email": f"user{i}@example.com", "name": f"User {i}", "behavior": "imp_travel"} for i, user in enumerate(FIXTURE_USERS)]
        requests.post(f"{base_url}/__emulator/v1/accounts/{account}/risk-events", json=events, timeout=10).raise_for_status()


@schemathesis.hook
def after_call(context, case, response):
    # A reset or an import that went through wiped the fixture (or may have): lay it again.
    if case.operation.method.upper() in ("POST", "PUT") and case.operation.path in WIPES and response.status_code == 200:
        _lay_fixture(case.operation.schema.get_base_url())


@schemathesis.hook
def before_call(context, case, **kwargs):
    if not _fixture_laid:
        _lay_fixture(case.operation.schema.get_base_url())
    if not isinstance(case.body, (dict, list)):
        return
    body = _to_loopback(case.body)
    method, path = case.operation.method.upper(), case.operation.path
    if isinstance(body, dict) and method == "POST" and path == "/__emulator/v1/faults":
        # A fault rule answers matching requests with 4xx/5xx, a delay (up to 120 s) or a dropped connection,
        # which would fail unrelated test cases. Under /__emulator/ it never fires (the control API is never
        # faulted), yet it is created, listed, read and deleted like any other rule.
        pattern = body.get("path")
        if isinstance(pattern, str) and pattern.startswith("/") and len(pattern) <= 1000:
            body["path"] = ("/__emulator" + pattern)[:1000]
    if isinstance(body, dict) and method == "POST" and path.endswith("/poll") and body.get("returnImmediately", False) is False:
        # A poll that may wait holds the request SSF_POLL_WAIT_MS (30 s by default) when no SET is queued.
        body["returnImmediately"] = True
    case.body = body


# positive_data_acceptance: schema-valid input refused with one of these codes is refused by a rule the
# document cannot state. Any other refusal of valid input still fails the run.
# Each code comes from the operations named.
ACCEPTED_REFUSALS = {
    # Integration create/update: reference_id is unique within an account (CONTRACT.md: a duplicate is 400, code 1102): server state.
    1102: "duplicate reference_id",
    # Risk-event injection, PUT behaviors: behavior ids come from the catalogue; Cloudflare's schema keys behaviors by any string (PUT behaviors).
    1201: "unknown behavior id",
    # SSF stream create/update/replace/poll: a push stream needs delivery.endpoint_url (a rule across fields); only a poll stream can be polled (state).
    1302: "invalid SSF stream request",
    # State import (PUT .../state): a state document's tables and columns are the database's, known at run time only.
    1410: "state document that cannot be loaded",
    # POST /faults: a rule's path starts with "/"; it needs status, latency_ms or disconnect, not status with disconnect, retry_after with a status.
    1421: "invalid fault rule",
}


def _poisons_prototype(value):
    """Whether a JSON value has a key Fastify's parser refuses: __proto__, or constructor.prototype."""
    if isinstance(value, dict):
        if "__proto__" in value or isinstance(value.get("constructor"), dict) and "prototype" in value["constructor"]:
            return True
        return any(_poisons_prototype(item) for item in value.values())
    if isinstance(value, list):
        return any(_poisons_prototype(item) for item in value)
    return False


def _error_codes(response):
    try:
        return {(e.get("code"), (e.get("source") or {}).get("pointer")) for e in response.json()["errors"]}
    except Exception:
        return set()


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if "positive_data_acceptance" not in failure.checks or response.status_code != 400:
        return True
    codes = _error_codes(response)
    if codes and all(code in ACCEPTED_REFUSALS for code, _ in codes):
        return False
    # A body with a __proto__ (or constructor.prototype) key is refused on purpose, a guard against prototype
    # poisoning (400, code 1002); OpenAPI 3.0 has no propertyNames to say so.
    if codes == {(1002, None)} and _poisons_prototype(case.body):
        return False
    # The journal's (and fault rules') path filter is a pattern starting with "/", checked in code with its own
    # message (code 1001 / 1421); the document could say pattern "^/" only by changing that message.
    if case.operation.path == "/__emulator/v1/journal" and codes == {(1001, "/path")}:
        return False
    return True
