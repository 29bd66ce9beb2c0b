"""Risk-score integrations through the official SDK: the lifecycle, not-found and duplicate reference_id."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, List

import httpx
import pytest
import cloudflare

RFC3339_UTC_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SDK_DEFAULT_MAX_RETRIES = 2


def assert_uuid4(value: str) -> None:
    parsed = uuid.UUID(value)
    assert parsed.version == 4, value
    assert parsed.variant == uuid.RFC_4122, value
    assert str(parsed) == value, f"{value} is not a canonical lower-case UUID"


def assert_created_at(raw: str, parsed: datetime) -> None:
    assert RFC3339_UTC_SECONDS.match(raw), f"created_at {raw!r} is not RFC 3339 UTC without a fraction"
    assert parsed == datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert parsed.utcoffset() == timedelta(0)
    # The server runs on this machine (loopback), so its clock is ours.
    now = datetime.now(timezone.utc)
    assert now - timedelta(seconds=30) <= parsed <= now + timedelta(seconds=2), f"created_at {raw} is not now ({now})"


def create(client: cloudflare.Cloudflare, account_id: str, **body: Any):
    """Create through the SDK, keeping the wire JSON beside the parsed model to check formats the model hides."""
    raw = client.zero_trust.risk_scoring.integrations.with_raw_response.create(
        account_id=account_id, integration_type="Okta", **body
    )
    assert raw.status_code == 200
    wire = raw.json()
    assert wire["success"] is True and wire["errors"] == [] and wire["messages"] == []
    return raw.parse(), wire["result"]


def error_codes(error: cloudflare.APIStatusError) -> List[int]:
    return [entry.code for entry in error.errors]


def test_integration_lifecycle(client, account_id, emulator_url):
    integrations = client.zero_trust.risk_scoring.integrations

    # Create with a reference_id: every field we control comes back as sent, the others in their format.
    first, first_wire = create(
        client, account_id, tenant_url="https://first.okta.com", reference_id="okta-idp-first"
    )
    assert_uuid4(first.id)
    assert first.account_tag == account_id
    assert first.integration_type == "Okta"
    assert first.reference_id == "okta-idp-first"
    assert first.tenant_url == "https://first.okta.com"
    assert first.active is True
    assert first.well_known_url == f"{emulator_url}/.well-known/sse-configuration/{first.id}"
    assert_created_at(first_wire["created_at"], first.created_at)
    assert sorted(first_wire) == sorted(
        ["id", "account_tag", "integration_type", "reference_id", "tenant_url", "well_known_url", "active", "created_at"]
    )

    # Create without one: the emulator picks a fresh UUIDv4.
    second, second_wire = create(client, account_id, tenant_url="https://second.okta.com")
    assert_uuid4(second.reference_id)
    assert second.reference_id != second.id
    assert_uuid4(second.id)
    assert second.id != first.id
    assert second.account_tag == account_id
    assert second.integration_type == "Okta"
    assert second.tenant_url == "https://second.okta.com"
    assert second.active is True
    assert second.well_known_url == f"{emulator_url}/.well-known/sse-configuration/{second.id}"
    assert_created_at(second_wire["created_at"], second.created_at)

    # An explicit null is the same as leaving it out.
    third, _ = create(client, account_id, tenant_url="https://third.okta.com", reference_id=None)
    assert_uuid4(third.reference_id)
    assert third.reference_id not in (second.reference_id, third.id)

    # List: exactly the three, in creation order, each equal to what create answered.
    page = integrations.list(account_id=account_id)
    assert [item.to_dict() for item in page] == [first.to_dict(), second.to_dict(), third.to_dict()]

    # Get by id and by reference_id.
    assert integrations.get(first.id, account_id=account_id).to_dict() == first.to_dict()
    assert integrations.references.get("okta-idp-first", account_id=account_id).to_dict() == first.to_dict()
    assert integrations.references.get(second.reference_id, account_id=account_id).to_dict() == second.to_dict()

    # Update overwrites tenant_url, active and reference_id; the other fields never change.
    updated = integrations.update(
        first.id,
        account_id=account_id,
        tenant_url="https://moved.okta.com",
        active=False,
        reference_id="okta-idp-renamed",
    )
    assert updated.to_dict() == {
        **first.to_dict(),
        "tenant_url": "https://moved.okta.com",
        "active": False,
        "reference_id": "okta-idp-renamed",
    }
    assert integrations.get(first.id, account_id=account_id).to_dict() == updated.to_dict()
    assert integrations.references.get("okta-idp-renamed", account_id=account_id).to_dict() == updated.to_dict()
    with pytest.raises(cloudflare.NotFoundError):
        integrations.references.get("okta-idp-first", account_id=account_id)

    # Without reference_id, an update keeps the current one.
    reactivated = integrations.update(
        first.id, account_id=account_id, tenant_url="https://moved.okta.com", active=True
    )
    assert reactivated.to_dict() == {**updated.to_dict(), "active": True}

    # Delete answers result null, and the integration is gone from get and list.
    assert integrations.delete(second.id, account_id=account_id) is None
    with pytest.raises(cloudflare.NotFoundError) as gone:
        integrations.get(second.id, account_id=account_id)
    assert error_codes(gone.value) == [1101]
    assert [item.id for item in integrations.list(account_id=account_id)] == [first.id, third.id]


def test_missing_integration_is_not_found_with_code_1101(client, account_id):
    integrations = client.zero_trust.risk_scoring.integrations
    missing = str(uuid.uuid4())

    with pytest.raises(cloudflare.NotFoundError) as raised:
        integrations.get(missing, account_id=account_id)
    error = raised.value
    assert error.status_code == 404
    assert error.response.status_code == 404
    assert error_codes(error) == [1101]
    assert error.body["success"] is False
    assert error.body["result"] is None
    assert [entry["code"] for entry in error.body["errors"]] == [1101]
    assert missing in error.errors[0].message

    # The same for the other operations that name an integration.
    for call in (
        lambda: integrations.references.get("no-such-reference", account_id=account_id),
        lambda: integrations.update(missing, account_id=account_id, tenant_url="https://x.okta.com", active=True),
        lambda: integrations.delete(missing, account_id=account_id),
    ):
        with pytest.raises(cloudflare.NotFoundError) as raised:
            call()
        assert raised.value.status_code == 404
        assert error_codes(raised.value) == [1101]


def test_another_accounts_integration_is_not_found(client, account_id, control):
    other_account = secrets.token_hex(16)
    try:
        created, _ = create(client, other_account, tenant_url="https://other.okta.com")
        with pytest.raises(cloudflare.NotFoundError) as raised:
            client.zero_trust.risk_scoring.integrations.get(created.id, account_id=account_id)
        assert error_codes(raised.value) == [1101]
        assert list(client.zero_trust.risk_scoring.integrations.list(account_id=account_id)) == []
    finally:
        control.reset_account(other_account)


def test_duplicate_reference_id_is_a_bad_request_that_is_not_retried(
    client, account_id, control, sent_requests: List[httpx.Request]
):
    integrations = client.zero_trust.risk_scoring.integrations
    assert client.max_retries == SDK_DEFAULT_MAX_RETRIES  # retries are on, so "not retried" means something

    kept, _ = create(client, account_id, tenant_url="https://kept.okta.com", reference_id="okta-idp-shared")
    sent_before = len(sent_requests)

    with pytest.raises(cloudflare.BadRequestError) as raised:
        integrations.create(
            account_id=account_id,
            integration_type="Okta",
            tenant_url="https://duplicate.okta.com",
            reference_id="okta-idp-shared",
        )
    error = raised.value
    assert error.status_code == 400
    assert error_codes(error) == [1102]
    assert "okta-idp-shared" in error.errors[0].message

    # One request on the wire, seen once by the emulator.
    assert len(sent_requests) - sent_before == 1
    creates = [
        entry["status"]
        for entry in control.journal(account_id)
        if entry["method"] == "POST" and entry["path"].endswith("/zt_risk_scoring/integrations")
    ]
    assert creates == [200, 400]

    # Nothing changed.
    assert [item.to_dict() for item in integrations.list(account_id=account_id)] == [kept.to_dict()]


def test_the_sdk_sends_the_chosen_credential(client, account_id, control, credential_kind):
    assert list(client.zero_trust.risk_scoring.integrations.list(account_id=account_id)) == []

    [entry] = control.journal(account_id)
    assert entry["status"] == 200
    headers = entry["request"]["headers"]
    sent = {name for name in ("authorization", "x-auth-email", "x-auth-key") if name in headers}
    expected = {"api_token": {"authorization"}, "api_email+api_key": {"x-auth-email", "x-auth-key"}}
    assert sent == expected[credential_kind]
    assert all(headers[name] == "[redacted]" for name in sent)
    assert headers["user-agent"] == f"Cloudflare/Python {cloudflare.__version__}"
