"""Risk scores through the official SDK: behaviours, the summary, one user's score and its reset.

On Cloudflare scores come from its own detections; here the emulator's control API injects the risk events.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import cloudflare

ALICE = {"user_id": "6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234", "email": "alice@example.com", "name": "Alice Liddell"}
BOB = {"user_id": "0b5d9e3a-7c21-4f6e-8d4a-1e2f3a4b5c6d", "email": "bob@example.com", "name": "Bob Builder"}

# A fresh account's catalogue: id -> (name, risk_level, enabled), as the emulator's README documents it
# (the first three are what a real account returns).
DEFAULT_BEHAVIOURS = {
    "imp_travel": ("Impossible Travel", "high", True),
    "high_dlp": ("High Number of DLP Policies Triggered", "medium", True),
    "sentinel_one": ("SentinelOne Infection Detected", "medium", False),
    "crowdstrike_low_score": ("CrowdStrike Low ZTA Security Score", "high", False),
    "crowdstrike_medium_score": ("CrowdStrike Medium ZTA Security Score", "medium", False),
    "malicious_file": ("Interaction with Malicious File", "high", False),
    "security_domain": ("Suspicious Security Domain Visited", "high", False),
    "high_risk_domain": ("High Risk Domain Visited", "low", False),
}
IMP_TRAVEL_DESCRIPTION = (
    "A user had a successful Access application log in from two locations that they could not have traveled to "
    "in that period of time."
)


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def settings(catalogue) -> dict:
    return {key: (b.name, b.risk_level, b.enabled) for key, b in catalogue.behaviors.items()}


def error_codes(error: cloudflare.APIStatusError):
    return [entry.code for entry in error.errors]


def test_behaviours_get_returns_the_default_catalogue(client, account_id):
    catalogue = client.zero_trust.risk_scoring.behaviours.get(account_id=account_id)

    assert settings(catalogue) == DEFAULT_BEHAVIOURS
    assert list(catalogue.behaviors) == list(DEFAULT_BEHAVIOURS)
    assert catalogue.behaviors["imp_travel"].description == IMP_TRAVEL_DESCRIPTION
    assert all(b.description.strip() for b in catalogue.behaviors.values())


def test_behaviours_update_changes_only_the_named_behaviour(client, account_id):
    behaviours = client.zero_trust.risk_scoring.behaviours
    before = behaviours.get(account_id=account_id)

    answer = behaviours.update(
        account_id=account_id, behaviors={"sentinel_one": {"enabled": True, "risk_level": "high"}}
    )

    expected = {**DEFAULT_BEHAVIOURS, "sentinel_one": ("SentinelOne Infection Detected", "high", True)}
    assert settings(answer) == expected
    assert settings(behaviours.get(account_id=account_id)) == expected
    # Descriptions are not part of the update and stay as they were.
    assert {k: b.description for k, b in answer.behaviors.items()} == {
        k: b.description for k, b in before.behaviors.items()
    }


def test_an_unknown_behaviour_is_refused_and_changes_nothing(client, account_id, sent_requests):
    behaviours = client.zero_trust.risk_scoring.behaviours
    with pytest.raises(cloudflare.BadRequestError) as raised:
        behaviours.update(
            account_id=account_id,
            behaviors={
                "high_dlp": {"enabled": False, "risk_level": "low"},
                "no_such_behaviour": {"enabled": True, "risk_level": "high"},
            },
        )
    assert raised.value.status_code == 400
    assert error_codes(raised.value) == [1201]
    assert "no_such_behaviour" in raised.value.errors[0].message
    assert len(sent_requests) == 1
    assert settings(behaviours.get(account_id=account_id)) == DEFAULT_BEHAVIOURS


def test_an_injected_event_shows_in_the_summary_and_the_users_score(client, account_id, control):
    risk = client.zero_trust.risk_scoring
    assert risk.summary.get(account_id=account_id).users == []

    [travel] = control.inject_risk_events(
        account_id,
        [
            {
                **ALICE,
                "behavior": "imp_travel",
                "timestamp": "2025-03-19T10:00:00Z",
                "event_details": {"from": "Lisbon", "to": "Tokyo"},
            }
        ],
    )
    assert travel["user_risk_level"] == "high"

    summary = risk.summary.get(account_id=account_id)
    assert [user.to_dict(mode="python") for user in summary.users] == [
        {
            "user_id": ALICE["user_id"],
            "name": "Alice Liddell",
            "email": "alice@example.com",
            "max_risk_level": "high",
            "event_count": 1,
            "last_event": utc("2025-03-19T10:00:00Z"),
        }
    ]

    score = risk.get(ALICE["user_id"], account_id=account_id)
    assert score.name == "Alice Liddell"
    assert score.email == "alice@example.com"
    assert score.risk_level == "high"
    assert score.last_reset_time is None
    assert [event.to_dict(mode="python") for event in score.events] == [
        {
            "id": travel["id"],
            "name": "Impossible Travel",
            "risk_level": "high",
            "timestamp": utc("2025-03-19T10:00:00Z"),
            "event_details": {"from": "Lisbon", "to": "Tokyo"},
        }
    ]


def test_summary_lists_each_user_by_most_recent_activity(client, account_id, control):
    control.inject_risk_events(
        account_id,
        [
            {**ALICE, "behavior": "imp_travel", "timestamp": "2025-03-19T10:00:00Z"},
            {**BOB, "behavior": "high_dlp", "timestamp": "2025-03-19T09:00:00Z"},
            {**BOB, "behavior": "high_dlp", "timestamp": "2025-03-19T11:00:00Z"},
        ],
    )

    users = client.zero_trust.risk_scoring.summary.get(account_id=account_id).users
    assert [(u.user_id, u.max_risk_level, u.event_count, u.last_event) for u in users] == [
        (BOB["user_id"], "medium", 2, utc("2025-03-19T11:00:00Z")),
        (ALICE["user_id"], "high", 1, utc("2025-03-19T10:00:00Z")),
    ]

    bob = client.zero_trust.risk_scoring.get(BOB["user_id"], account_id=account_id)
    assert [event.timestamp for event in bob.events] == [utc("2025-03-19T11:00:00Z"), utc("2025-03-19T09:00:00Z")]


def test_disabling_a_behaviour_rescores_its_users(client, account_id, control):
    risk = client.zero_trust.risk_scoring
    control.inject_risk_events(account_id, {**ALICE, "behavior": "imp_travel", "timestamp": "2025-03-19T10:00:00Z"})

    risk.behaviours.update(account_id=account_id, behaviors={"imp_travel": {"enabled": False, "risk_level": "high"}})
    lowered = risk.get(ALICE["user_id"], account_id=account_id)
    assert lowered.risk_level == "low"
    assert [event.name for event in lowered.events] == ["Impossible Travel"]

    risk.behaviours.update(account_id=account_id, behaviors={"imp_travel": {"enabled": True, "risk_level": "medium"}})
    assert risk.get(ALICE["user_id"], account_id=account_id).risk_level == "medium"


def test_reset_puts_the_user_back_to_low_with_no_events(client, account_id, control):
    risk = client.zero_trust.risk_scoring
    control.inject_risk_events(
        account_id,
        {**ALICE, "behavior": "imp_travel", "timestamp": "2025-03-19T10:00:00Z", "event_details": {"ip": "192.0.2.1"}},
    )
    assert risk.get(ALICE["user_id"], account_id=account_id).risk_level == "high"

    before_reset = datetime.now(timezone.utc).replace(microsecond=0)
    assert risk.reset(ALICE["user_id"], account_id=account_id) is None

    score = risk.get(ALICE["user_id"], account_id=account_id)
    assert score.name == "Alice Liddell"
    assert score.email == "alice@example.com"
    assert score.risk_level == "low"
    assert score.events == []
    assert score.last_reset_time is not None
    assert score.last_reset_time.utcoffset() == timedelta(0)
    assert before_reset - timedelta(seconds=1) <= score.last_reset_time <= datetime.now(timezone.utc)
    assert risk.summary.get(account_id=account_id).users == []

    # An event after the reset counts again.
    control.inject_risk_events(account_id, {**ALICE, "behavior": "high_dlp"})
    again = risk.get(ALICE["user_id"], account_id=account_id)
    assert again.risk_level == "medium"
    assert [event.name for event in again.events] == ["High Number of DLP Policies Triggered"]


def test_a_user_without_risk_data_is_not_found_with_code_1202(client, account_id, sent_requests):
    risk = client.zero_trust.risk_scoring
    nobody = str(uuid.uuid4())

    with pytest.raises(cloudflare.NotFoundError) as read:
        risk.get(nobody, account_id=account_id)
    assert read.value.status_code == 404
    assert error_codes(read.value) == [1202]

    with pytest.raises(cloudflare.NotFoundError) as reset:
        risk.reset(nobody, account_id=account_id)
    assert reset.value.status_code == 404
    assert error_codes(reset.value) == [1202]
    assert len(sent_requests) == 2
