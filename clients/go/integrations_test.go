package cfsdk

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/zero_trust"
)

// integration is the eight fields every SDK integration type shares
// (New, Get, List, Update and reference Get each have their own Go type).
type integration struct {
	ID, AccountTag, IntegrationType, ReferenceID, TenantURL, WellKnownURL string
	Active                                                                bool
	CreatedAt                                                             time.Time
}

// asIntegration copies the shared fields out of any SDK integration type,
// after checking that the SDK decoded all eight, and nothing else, from JSON.
func asIntegration(t *testing.T, what string, v any) integration {
	t.Helper()
	requireDecoded(t, what, v, true)
	rv := reflect.Indirect(reflect.ValueOf(v))
	var out integration
	ov := reflect.ValueOf(&out).Elem()
	for i := 0; i < ov.NumField(); i++ {
		name := ov.Type().Field(i).Name
		src := rv.FieldByName(name)
		if !src.IsValid() {
			t.Fatalf("%s: %T has no field %s", what, v, name)
		}
		if src.Kind() == reflect.String {
			ov.Field(i).SetString(src.String())
		} else {
			ov.Field(i).Set(src)
		}
	}
	if raw := rawOf(t, v, "CreatedAt"); !rfc3339Re.MatchString(raw) {
		t.Errorf("%s: created_at = %s, want RFC 3339 in UTC", what, raw)
	}
	return out
}

// requireServerFields checks the fields the server chooses: their formats and
// their relation to the account and the id.
func requireServerFields(t *testing.T, what string, got integration, account string, notBefore time.Time) {
	t.Helper()
	if !uuidV4Re.MatchString(got.ID) {
		t.Errorf("%s: id %q is not a lower-case UUIDv4", what, got.ID)
	}
	if got.AccountTag != account {
		t.Errorf("%s: account_tag = %q, want %q", what, got.AccountTag, account)
	}
	if got.IntegrationType != "Okta" {
		t.Errorf("%s: integration_type = %q, want Okta", what, got.IntegrationType)
	}
	if want := emulatorURL + "/.well-known/sse-configuration/" + got.ID; got.WellKnownURL != want {
		t.Errorf("%s: well_known_url = %q, want %q", what, got.WellKnownURL, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("%s: created_at %v is not in UTC", what, got.CreatedAt)
	}
	if got.CreatedAt.Before(notBefore.Truncate(time.Second)) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("%s: created_at %v is not the time of the create (test started %v)", what, got.CreatedAt, notBefore)
	}
}

func createIntegration(t *testing.T, ctx context.Context, s session, tenantURL string, referenceID *string) integration {
	t.Helper()
	params := zero_trust.RiskScoringIntegrationNewParams{
		AccountID:       cloudflare.F(s.account),
		IntegrationType: cloudflare.F(zero_trust.RiskScoringIntegrationNewParamsIntegrationTypeOkta),
		TenantURL:       cloudflare.F(tenantURL),
	}
	if referenceID != nil {
		params.ReferenceID = cloudflare.F(*referenceID)
	}
	res, err := s.client.ZeroTrust.RiskScoring.Integrations.New(ctx, params)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return asIntegration(t, "create", res)
}

func ptr[T any](v T) *T { return &v }

// Tenant URLs are loopback addresses where nothing listens: the emulator pushes
// risk-level changes to an active integration's tenant, and these tests must
// never cause traffic beyond this machine.

func TestIntegrationLifecycle(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		start := time.Now()
		integrations := s.client.ZeroTrust.RiskScoring.Integrations
		acct := cloudflare.F(s.account)

		// Create one with a reference_id, then one without: it gets a fresh UUIDv4.
		ref := "okta-idp-" + newUUIDv4(t)
		a := createIntegration(t, ctx, s, "http://127.0.0.1:9001", &ref)
		requireServerFields(t, "create a", a, s.account, start)
		if a.ReferenceID != ref || a.TenantURL != "http://127.0.0.1:9001" || !a.Active {
			t.Errorf("create a = %+v, want reference_id %q, tenant_url http://127.0.0.1:9001, active", a, ref)
		}
		b := createIntegration(t, ctx, s, "http://127.0.0.1:9002", nil)
		requireServerFields(t, "create b", b, s.account, start)
		if !uuidV4Re.MatchString(b.ReferenceID) || b.ReferenceID == b.ID {
			t.Errorf("create b: reference_id %q is not a fresh UUIDv4 (id %q)", b.ReferenceID, b.ID)
		}
		if b.TenantURL != "http://127.0.0.1:9002" || !b.Active {
			t.Errorf("create b = %+v, want tenant_url http://127.0.0.1:9002, active", b)
		}
		c := createIntegration(t, ctx, s, "http://127.0.0.1:9003", ptr("okta-idp-c"))
		requireServerFields(t, "create c", c, s.account, start)
		if a.ID == b.ID || b.ID == c.ID || a.ID == c.ID {
			t.Fatalf("ids are not distinct: %s %s %s", a.ID, b.ID, c.ID)
		}

		// List: exactly the three, in creation order, as created.
		list := func(want ...integration) {
			t.Helper()
			page, err := integrations.List(ctx, zero_trust.RiskScoringIntegrationListParams{AccountID: acct})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			got := make([]integration, len(page.Result))
			for i := range page.Result {
				got[i] = asIntegration(t, "list", &page.Result[i])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("list =\n%+v\nwant\n%+v", got, want)
			}
		}
		list(a, b, c)

		// Get by id and by reference_id give the object as created.
		got, err := integrations.Get(ctx, a.ID, zero_trust.RiskScoringIntegrationGetParams{AccountID: acct})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if g := asIntegration(t, "get", got); g != a {
			t.Errorf("get = %+v, want %+v", g, a)
		}
		for _, want := range []integration{a, b} {
			byRef, err := integrations.References.Get(ctx, want.ReferenceID,
				zero_trust.RiskScoringIntegrationReferenceGetParams{AccountID: acct})
			if err != nil {
				t.Fatalf("get by reference_id %q: %v", want.ReferenceID, err)
			}
			if g := asIntegration(t, "get by reference_id", byRef); g != want {
				t.Errorf("get by reference_id = %+v, want %+v", g, want)
			}
		}

		// Update a: tenant_url, active and reference_id change; nothing else does.
		newRef := "okta-idp-renamed-" + newUUIDv4(t)
		upd, err := integrations.Update(ctx, a.ID, zero_trust.RiskScoringIntegrationUpdateParams{
			AccountID:   acct,
			Active:      cloudflare.F(false),
			TenantURL:   cloudflare.F("http://127.0.0.1:9011"),
			ReferenceID: cloudflare.F(newRef),
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		a2 := a
		a2.Active, a2.TenantURL, a2.ReferenceID = false, "http://127.0.0.1:9011", newRef
		if g := asIntegration(t, "update", upd); g != a2 {
			t.Errorf("update = %+v, want %+v", g, a2)
		}
		got, err = integrations.Get(ctx, a.ID, zero_trust.RiskScoringIntegrationGetParams{AccountID: acct})
		if err != nil {
			t.Fatalf("get after update: %v", err)
		}
		if g := asIntegration(t, "get after update", got); g != a2 {
			t.Errorf("get after update = %+v, want %+v", g, a2)
		}
		_, err = integrations.References.Get(ctx, ref, zero_trust.RiskScoringIntegrationReferenceGetParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)

		// Update b without reference_id: it keeps the generated one.
		upd, err = integrations.Update(ctx, b.ID, zero_trust.RiskScoringIntegrationUpdateParams{
			AccountID: acct,
			Active:    cloudflare.F(true),
			TenantURL: cloudflare.F("http://127.0.0.1:9012"),
		})
		if err != nil {
			t.Fatalf("update b: %v", err)
		}
		b2 := b
		b2.TenantURL = "http://127.0.0.1:9012"
		if g := asIntegration(t, "update b", upd); g != b2 {
			t.Errorf("update b = %+v, want %+v", g, b2)
		}
		list(a2, b2, c)

		// Delete a: result null; it is gone, the others stay in order.
		del, err := integrations.Delete(ctx, a.ID, zero_trust.RiskScoringIntegrationDeleteParams{AccountID: acct})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		if del == nil || *del != nil {
			t.Errorf("delete result = %#v, want a pointer to nil (JSON null)", del)
		}
		_, err = integrations.Get(ctx, a.ID, zero_trust.RiskScoringIntegrationGetParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)
		_, err = integrations.References.Get(ctx, newRef, zero_trust.RiskScoringIntegrationReferenceGetParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)
		list(b2, c)

		requireCredentialHeaders(t, s, journal(t, ctx, s.account))
	})
}

func TestMissingIntegrationIs404With1101(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		integrations := s.client.ZeroTrust.RiskScoring.Integrations
		acct := cloudflare.F(s.account)
		missing := newUUIDv4(t)

		_, err := integrations.Get(ctx, missing, zero_trust.RiskScoringIntegrationGetParams{AccountID: acct})
		e := apiError(t, err, http.StatusNotFound, 1101)
		if e.Request.Method != http.MethodGet ||
			e.Request.URL.String() != emulatorURL+"/client/v4/accounts/"+s.account+"/zt_risk_scoring/integrations/"+missing {
			t.Errorf("the SDK sent %s %s", e.Request.Method, e.Request.URL)
		}
		_, err = integrations.Update(ctx, missing, zero_trust.RiskScoringIntegrationUpdateParams{
			AccountID: acct, Active: cloudflare.F(true), TenantURL: cloudflare.F("http://127.0.0.1:9100"),
		})
		apiError(t, err, http.StatusNotFound, 1101)
		_, err = integrations.Delete(ctx, missing, zero_trust.RiskScoringIntegrationDeleteParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)
		_, err = integrations.References.Get(ctx, "no-such-reference",
			zero_trust.RiskScoringIntegrationReferenceGetParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)

		// Another account's integration is not found either.
		other := createIntegration(t, ctx, session{client: s.client, account: newAccountID(t)}, "http://127.0.0.1:9100", nil)
		_, err = integrations.Get(ctx, other.ID, zero_trust.RiskScoringIntegrationGetParams{AccountID: acct})
		apiError(t, err, http.StatusNotFound, 1101)

		// Six calls (five 404s and the create), one HTTP attempt each: a 404 is not retried.
		if n := s.attempts.Load(); n != 6 {
			t.Errorf("the SDK made %d HTTP attempts, want 6 (one per call)", n)
		}
	})
}

func TestDuplicateReferenceIDIsRefusedAndNotRetried(t *testing.T) {
	forEachCredential(t, func(t *testing.T, ctx context.Context, s session) {
		integrations := s.client.ZeroTrust.RiskScoring.Integrations
		acct := cloudflare.F(s.account)
		ref := "okta-idp-" + newUUIDv4(t)

		first := createIntegration(t, ctx, s, "http://127.0.0.1:9101", &ref)
		_, err := integrations.New(ctx, zero_trust.RiskScoringIntegrationNewParams{
			AccountID:       acct,
			IntegrationType: cloudflare.F(zero_trust.RiskScoringIntegrationNewParamsIntegrationTypeOkta),
			TenantURL:       cloudflare.F("http://127.0.0.1:9102"),
			ReferenceID:     cloudflare.F(ref),
		})
		e := apiError(t, err, http.StatusBadRequest, 1102)
		if msg := e.Errors[0].Message; !strings.Contains(msg, ref) {
			t.Errorf("1102 message %q does not name the reference_id %q", msg, ref)
		}
		if n := s.attempts.Load(); n != 2 {
			t.Errorf("the SDK made %d HTTP attempts, want 2 (the duplicate is not retried)", n)
		}
		entries := journal(t, ctx, s.account)
		if len(entries) != 2 {
			t.Fatalf("the emulator received %d requests for the account, want 2: %+v", len(entries), entries)
		}
		wantPath := "/client/v4/accounts/" + s.account + "/zt_risk_scoring/integrations"
		for i, wantStatus := range []int{200, 400} {
			if e := entries[i]; e.Method != http.MethodPost || e.Path != wantPath || e.Status != wantStatus {
				t.Errorf("journal[%d] = %s %s -> %d, want POST %s -> %d", i, e.Method, e.Path, e.Status, wantPath, wantStatus)
			}
		}
		if rc := entries[1].Request.Headers["x-stainless-retry-count"]; rc != "0" {
			t.Errorf("the refused POST carried x-stainless-retry-count %q, want \"0\" (a first attempt)", rc)
		}
		requireCredentialHeaders(t, s, entries)

		// The same conflict on update: another integration cannot take the reference_id.
		second := createIntegration(t, ctx, s, "http://127.0.0.1:9102", nil)
		_, err = integrations.Update(ctx, second.ID, zero_trust.RiskScoringIntegrationUpdateParams{
			AccountID:   acct,
			Active:      cloudflare.F(true),
			TenantURL:   cloudflare.F("http://127.0.0.1:9102"),
			ReferenceID: cloudflare.F(ref),
		})
		apiError(t, err, http.StatusBadRequest, 1102)
		if n := s.attempts.Load(); n != 4 {
			t.Errorf("the SDK made %d HTTP attempts, want 4 (the conflicting update is not retried)", n)
		}

		// Nothing changed: the list is the two integrations as created.
		page, err := integrations.List(ctx, zero_trust.RiskScoringIntegrationListParams{AccountID: acct})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(page.Result) != 2 {
			t.Fatalf("list has %d integrations, want 2", len(page.Result))
		}
		if g := asIntegration(t, "list[0]", &page.Result[0]); g != first {
			t.Errorf("list[0] = %+v, want %+v", g, first)
		}
		if g := asIntegration(t, "list[1]", &page.Result[1]); g != second {
			t.Errorf("list[1] = %+v, want %+v", g, second)
		}
	})
}
