"""Fixtures for driving a running emulator through Cloudflare's official Python SDK.

The suite never starts a server: it talks to the one at EMULATOR_URL (set by `npm run test:clients`, or by hand).
Every test gets its own random account id, so it can share a server with anything else. No test puts an active
integration and risk events in one account: the emulator would then push SETs to the integration's tenant_url,
and the suite stays on loopback.
"""

from __future__ import annotations

import os
import secrets
from typing import Any, Iterator, List

import httpx
import pytest
import cloudflare

MISSING_URL = (
    "EMULATOR_URL is not set. Start the emulator and set it to the server's origin, e.g. "
    "EMULATOR_URL=http://127.0.0.1:4711 (the SDK then uses EMULATOR_URL + '/client/v4'), "
    "or run `npm run test:clients`, which starts a server and sets it for you."
)

# Variables the SDK reads when an argument is not given: cleared so only the credential a test chooses is sent.
SDK_ENVIRONMENT = (
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_EMAIL",
    "CLOUDFLARE_API_USER_SERVICE_KEY",
    "CLOUDFLARE_BASE_URL",
    "CLOUDFLARE_CUSTOM_HEADERS",
)

CREDENTIALS = {
    "api_token": {"api_token": "py-sdk-test-token"},
    "api_email+api_key": {"api_email": "py-sdk@example.com", "api_key": "0123456789abcdef0123456789abcdef01234"},
}


def pytest_configure(config: pytest.Config) -> None:
    url = os.environ.get("EMULATOR_URL", "").strip()
    if not url:
        raise pytest.UsageError(MISSING_URL)
    try:
        # trust_env=False: a proxy variable in the environment must not divert loopback traffic.
        health = httpx.get(url.rstrip("/") + "/healthz", timeout=5, trust_env=False)
    except httpx.HTTPError as error:
        raise pytest.UsageError(f"EMULATOR_URL={url} cannot be reached ({error!r}); is the emulator running?")
    if health.status_code != 200:
        raise pytest.UsageError(f"EMULATOR_URL={url}: GET /healthz answered {health.status_code}, not 200")


@pytest.fixture(scope="session")
def emulator_url() -> str:
    return os.environ["EMULATOR_URL"].strip().rstrip("/")


class ControlApi:
    """The emulator's own /__emulator/v1 endpoints: what a test needs that Cloudflare's API cannot do."""

    def __init__(self, origin: str) -> None:
        headers = {}
        if os.environ.get("EMULATOR_ADMIN_TOKEN"):
            headers["Authorization"] = f"Bearer {os.environ['EMULATOR_ADMIN_TOKEN']}"
        self._http = httpx.Client(base_url=origin + "/__emulator/v1", headers=headers, timeout=10, trust_env=False)

    def _result(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
        body = response.json()
        assert body["success"] is True, body
        return body["result"]

    def inject_risk_events(self, account_id: str, events: Any) -> Any:
        return self._result(self._http.post(f"/accounts/{account_id}/risk-events", json=events))

    def journal(self, account_id: str) -> List[dict]:
        """Every request the emulator received for the account, oldest first."""
        return self._result(self._http.get("/journal", params={"account": account_id}))

    def reset_account(self, account_id: str) -> None:
        self._result(self._http.post(f"/accounts/{account_id}/reset"))

    def close(self) -> None:
        self._http.close()


@pytest.fixture(scope="session")
def control(emulator_url: str) -> Iterator[ControlApi]:
    api = ControlApi(emulator_url)
    yield api
    api.close()


@pytest.fixture
def account_id(control: ControlApi) -> Iterator[str]:
    """A fresh account (32 lower-case hex characters) of this test alone, emptied afterwards."""
    account = secrets.token_hex(16)
    yield account
    control.reset_account(account)


@pytest.fixture(params=list(CREDENTIALS), ids=list(CREDENTIALS))
def credential_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def sent_requests() -> List[httpx.Request]:
    """Every HTTP request the SDK puts on the wire during the test, retries included."""
    return []


@pytest.fixture
def client(
    emulator_url: str,
    credential_kind: str,
    sent_requests: List[httpx.Request],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[cloudflare.Cloudflare]:
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    http_client = cloudflare.DefaultHttpxClient(trust_env=False, event_hooks={"request": [sent_requests.append]})
    # max_retries is left at the SDK's default (2): the tests that prove a refusal is not retried rely on it.
    sdk = cloudflare.Cloudflare(
        base_url=emulator_url + "/client/v4", http_client=http_client, **CREDENTIALS[credential_kind]
    )
    yield sdk
    sdk.close()
