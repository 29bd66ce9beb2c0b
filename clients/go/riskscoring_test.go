package cfsdk

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/zero_trust"
)

// behavior is one catalogue entry as a test states it.
type behavior struct {
	Name      string
	RiskLevel string
	Enabled   bool
}

// defaultCatalogue is a fresh account's behaviors (README, "How scores
// behave"); the first three are those a real Cloudflare account returns.
var defaultCatalogue = map[string]behavior{
	"imp_travel":               {"Impossible Travel", "high", true},
	"high_dlp":                 {"High Number of DLP Policies Triggered", "medium", true},
	"sentinel_one":             {"SentinelOne Infection Detected", "medium", false},
	"crowdstrike_low_score":    {"CrowdStrike Low ZTA Security Score", "high", false},
	"crowdstrike_medium_score": {"CrowdStrike Medium ZTA Security Score", "medium", false},
	"malicious_file":           {"Interaction with Malicious File", "high", false},
	"security_domain":          {"Suspicious Security Domain Visited", "high", false},
	"high_risk_domain":         {"High Risk Domain Visited", "low", false},
}

func getBehaviours(t *testing.T, ctx context.Context, s session) map[string]behavior {
	t.Helper()
	res, err := s.client.ZeroTrust.RiskScoring.Behaviours.Get(ctx,
		zero_trust.RiskScoringBehaviourGetParams{AccountID: cloudflare.F(s.account)})
	if err != nil {
		t.Fatalf("behaviours get: %v", err)
	}
	requireDecoded(t, "behaviours", res, true)
	got := make(map[string]behavior, len(res.Behaviors))
	for id, b := range res.Behaviors {
		requireDecoded(t, "behavior "+id, &b, true)
		if b.Description == "" {
			t.Errorf("behavior %s has no description", id)
		}
		got[id] = behavior{b.Name, string(b.RiskLevel), b.Enabled}
	}
	return got
}

func updateBehaviours(ctx context.Context, s session, set map[string]zero_trust.RiskScoringBehaviourUpdateParamsBehaviors) (*zero_trust.RiskScoringBehaviourUpdateResponse, error) {
	return s.client.ZeroTrust.RiskScoring.Behaviours.Update(ctx, zero_trust.RiskScoringBehaviourUpdateParams{
		AccountID: cloudflare.F(s.account),
		Behaviors: cloudflare.F(set),
	})
}

func setting(enabled bool, level zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevel) zero_trust.RiskScoringBehaviourUpdateParamsBehaviors {
	return zero_trust.RiskScoringBehaviourUpdateParamsBehaviors{Enabled: cloudflare.F(enabled), RiskLevel: cloudflare.F(level)}
}

func TestBehaviours(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		if got := getBehaviours(t, ctx, s); !reflect.DeepEqual(got, defaultCatalogue) {
			t.Fatalf("fresh account's behaviors =\n%+v\nwant\n%+v", got, defaultCatalogue)
		}

		// Change one behavior: the answer is the whole new catalogue.
		res, err := updateBehaviours(ctx, s, map[string]zero_trust.RiskScoringBehaviourUpdateParamsBehaviors{
			"high_dlp": setting(false, zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevelLow),
		})
		if err != nil {
			t.Fatalf("behaviours update: %v", err)
		}
		want := make(map[string]behavior, len(defaultCatalogue))
		for id, b := range defaultCatalogue {
			want[id] = b
		}
		want["high_dlp"] = behavior{"High Number of DLP Policies Triggered", "low", false}
		answered := make(map[string]behavior, len(res.Behaviors))
		for id, b := range res.Behaviors {
			requireDecoded(t, "updated behavior "+id, &b, false)
			answered[id] = behavior{want[id].Name, string(b.RiskLevel), b.Enabled}
		}
		if !reflect.DeepEqual(answered, want) {
			t.Errorf("update answered\n%+v\nwant (enabled, risk_level of)\n%+v", answered, want)
		}
		if got := getBehaviours(t, ctx, s); !reflect.DeepEqual(got, want) {
			t.Errorf("behaviors after update =\n%+v\nwant\n%+v", got, want)
		}

		// An unknown behavior id is a 400 (1201), and nothing changes.
		_, err = updateBehaviours(ctx, s, map[string]zero_trust.RiskScoringBehaviourUpdateParamsBehaviors{
			"imp_travel":       setting(false, zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevelLow),
			"no_such_behavior": setting(true, zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevelHigh),
		})
		apiError(t, err, http.StatusBadRequest, 1201)
		if got := getBehaviours(t, ctx, s); !reflect.DeepEqual(got, want) {
			t.Errorf("behaviors after a refused update =\n%+v\nwant\n%+v", got, want)
		}
		requireCredentialHeaders(t, s, journal(t, ctx, s.account))
	})
}

type userScore struct {
	Name, Email, RiskLevel string
	Events                 []userEvent
}

type userEvent struct {
	ID, Name, RiskLevel string
	Timestamp           time.Time
	EventDetails        any
}

// getUser reads one user's score and returns it with last_reset_time
// (nil when the JSON says null).
func getUser(t *testing.T, ctx context.Context, s session, userID string) (userScore, *time.Time) {
	t.Helper()
	res, err := s.client.ZeroTrust.RiskScoring.Get(ctx, userID, zero_trust.RiskScoringGetParams{AccountID: cloudflare.F(s.account)})
	if err != nil {
		t.Fatalf("risk score of %s: %v", userID, err)
	}
	requireDecoded(t, "user risk", res, true, "LastResetTime")
	got := userScore{Name: res.Name, Email: res.Email, RiskLevel: string(res.RiskLevel), Events: []userEvent{}}
	for _, e := range res.Events {
		requireDecoded(t, "user risk event", &e, true)
		if rawTS := rawOf(t, &e, "Timestamp"); !rfc3339Re.MatchString(rawTS) {
			t.Errorf("event timestamp %s is not RFC 3339 in UTC", rawTS)
		}
		got.Events = append(got.Events, userEvent{e.ID, e.Name, string(e.RiskLevel), e.Timestamp, e.EventDetails})
	}
	if res.JSON.LastResetTime.IsNull() {
		return got, nil
	}
	return got, &res.LastResetTime
}

type summaryUser struct {
	UserID, Name, Email, MaxRiskLevel string
	EventCount                        int64
	LastEvent                         time.Time
}

func getSummary(t *testing.T, ctx context.Context, s session) []summaryUser {
	t.Helper()
	res, err := s.client.ZeroTrust.RiskScoring.Summary.Get(ctx, zero_trust.RiskScoringSummaryGetParams{AccountID: cloudflare.F(s.account)})
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	requireDecoded(t, "summary", res, true)
	users := []summaryUser{}
	for _, u := range res.Users {
		requireDecoded(t, "summary user", &u, true)
		users = append(users, summaryUser{u.UserID, u.Name, u.Email, string(u.MaxRiskLevel), u.EventCount, u.LastEvent})
	}
	return users
}

func TestRiskScoreSummaryAndReset(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		user := newUUIDv4(t)
		if got := getSummary(t, ctx, s); len(got) != 0 {
			t.Errorf("fresh account's summary = %+v, want no users", got)
		}

		// A user no event was ever injected for: 404, code 1202, for the read and the reset.
		_, err := s.client.ZeroTrust.RiskScoring.Get(ctx, user, zero_trust.RiskScoringGetParams{AccountID: cloudflare.F(s.account)})
		apiError(t, err, http.StatusNotFound, 1202)
		_, err = s.client.ZeroTrust.RiskScoring.Reset(ctx, user, zero_trust.RiskScoringResetParams{AccountID: cloudflare.F(s.account)})
		apiError(t, err, http.StatusNotFound, 1202)

		// Alice travels impossibly: one high event.
		ts := time.Date(2025, 3, 19, 10, 0, 0, 0, time.UTC)
		details := map[string]any{"from": "Lisbon", "to": "Tokyo"}
		rec := injectEvent(t, ctx, s.account, riskEvent{
			UserID: user, Email: "alice@example.com", Name: "Alice Liddell",
			Behavior: "imp_travel", Timestamp: ts.Format(time.RFC3339), EventDetails: details,
		})
		if rec.RiskLevel != "high" || !rec.Counted || rec.UserRiskLevel != "high" {
			t.Errorf("injected event = %+v, want risk_level high, counted, user_risk_level high", rec)
		}

		wantSummary := []summaryUser{{user, "Alice Liddell", "alice@example.com", "high", 1, ts}}
		if got := getSummary(t, ctx, s); !reflect.DeepEqual(got, wantSummary) {
			t.Errorf("summary =\n%+v\nwant\n%+v", got, wantSummary)
		}
		wantUser := userScore{"Alice Liddell", "alice@example.com", "high",
			[]userEvent{{rec.ID, "Impossible Travel", "high", ts, details}}}
		got, lastReset := getUser(t, ctx, s, user)
		if !reflect.DeepEqual(got, wantUser) {
			t.Errorf("user risk =\n%+v\nwant\n%+v", got, wantUser)
		}
		if lastReset != nil {
			t.Errorf("last_reset_time = %v before any reset, want null", lastReset)
		}

		// Reset: result null; level low, events gone, last_reset_time set, summary empty.
		beforeReset := time.Now()
		res, err := s.client.ZeroTrust.RiskScoring.Reset(ctx, user, zero_trust.RiskScoringResetParams{AccountID: cloudflare.F(s.account)})
		if err != nil {
			t.Fatalf("reset: %v", err)
		}
		if res == nil || *res != nil {
			t.Errorf("reset result = %#v, want a pointer to nil (JSON null)", res)
		}
		got, lastReset = getUser(t, ctx, s, user)
		if want := (userScore{"Alice Liddell", "alice@example.com", "low", []userEvent{}}); !reflect.DeepEqual(got, want) {
			t.Errorf("user risk after reset =\n%+v\nwant\n%+v", got, want)
		}
		if lastReset == nil {
			t.Errorf("last_reset_time is null after a reset")
		} else if lastReset.Before(beforeReset.Truncate(time.Second)) || lastReset.After(time.Now().Add(time.Second)) {
			t.Errorf("last_reset_time = %v, want the time of the reset (%v)", lastReset, beforeReset)
		}
		if got := getSummary(t, ctx, s); len(got) != 0 {
			t.Errorf("summary after reset = %+v, want no users", got)
		}
		requireCredentialHeaders(t, s, journal(t, ctx, s.account))
	})
}

func TestBehaviourChangeRescoresUser(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		user := newUUIDv4(t)
		ts := time.Date(2025, 3, 19, 11, 30, 0, 0, time.UTC)
		rec := injectEvent(t, ctx, s.account, riskEvent{
			UserID: user, Email: "bob@example.com", Name: "Bob", Behavior: "imp_travel", Timestamp: ts.Format(time.RFC3339),
		})
		event := userEvent{rec.ID, "Impossible Travel", "high", ts, map[string]any{}}

		level := func(want string) {
			t.Helper()
			got, _ := getUser(t, ctx, s, user)
			if wantUser := (userScore{"Bob", "bob@example.com", want, []userEvent{event}}); !reflect.DeepEqual(got, wantUser) {
				t.Errorf("user risk =\n%+v\nwant\n%+v", got, wantUser)
			}
			wantSummary := []summaryUser{{user, "Bob", "bob@example.com", want, 1, ts}}
			if got := getSummary(t, ctx, s); !reflect.DeepEqual(got, wantSummary) {
				t.Errorf("summary =\n%+v\nwant\n%+v", got, wantSummary)
			}
		}
		level("high")

		// Disabling imp_travel lowers Bob at once; his event stays listed.
		if _, err := updateBehaviours(ctx, s, map[string]zero_trust.RiskScoringBehaviourUpdateParamsBehaviors{
			"imp_travel": setting(false, zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevelHigh),
		}); err != nil {
			t.Fatalf("disable imp_travel: %v", err)
		}
		level("low")

		// Enabling it again raises him back.
		if _, err := updateBehaviours(ctx, s, map[string]zero_trust.RiskScoringBehaviourUpdateParamsBehaviors{
			"imp_travel": setting(true, zero_trust.RiskScoringBehaviourUpdateParamsBehaviorsRiskLevelHigh),
		}); err != nil {
			t.Fatalf("enable imp_travel: %v", err)
		}
		level("high")
	})
}
