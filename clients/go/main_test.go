package cfsdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7"
	"github.com/cloudflare/cloudflare-go/v7/option"
)

// emulatorURL is the emulator's origin, e.g. http://127.0.0.1:4712, without a
// trailing slash. The SDK's base URL is emulatorURL + "/client/v4/".
var emulatorURL string

func TestMain(m *testing.M) {
	raw := os.Getenv("EMULATOR_URL")
	if raw == "" {
		fmt.Fprintln(os.Stderr, "EMULATOR_URL is not set: start the emulator and set EMULATOR_URL to its origin "+
			"(e.g. EMULATOR_URL=http://127.0.0.1:4712 go test -count=1 ./...), or run `npm run test:clients` "+
			"from the repository root, which starts a server and sets it for you.")
		os.Exit(1)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		fmt.Fprintf(os.Stderr, "EMULATOR_URL=%q is not an origin such as http://127.0.0.1:4712 (no path)\n", raw)
		os.Exit(1)
	}
	emulatorURL = strings.TrimRight(raw, "/")

	// cloudflare.NewClient reads these from the environment and would add
	// credentials (or another base URL) to the ones each test chooses.
	for _, name := range []string{"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL",
		"CLOUDFLARE_API_USER_SERVICE_KEY", "CLOUDFLARE_BASE_URL", "CLOUDFLARE_CUSTOM_HEADERS"} {
		os.Unsetenv(name)
	}
	os.Exit(m.Run())
}

// credential is one of the two kinds of credential the SDK can send.
type credential struct {
	name string
	opts []option.RequestOption
	// headers every request must carry, and headers none may carry (lower case, as the journal shows them).
	sent, notSent []string
}

var credentials = []credential{
	{
		name:    "api_token",
		opts:    []option.RequestOption{option.WithAPIToken("sdk-e2e-token-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY")},
		sent:    []string{"authorization"},
		notSent: []string{"x-auth-email", "x-auth-key"},
	},
	{
		name: "email_and_global_key",
		opts: []option.RequestOption{
			option.WithAPIEmail("sdk-e2e@example.com"),
			option.WithAPIKey("144c9defac04969c7bfad8efaa8ea194"),
		},
		sent:    []string{"x-auth-email", "x-auth-key"},
		notSent: []string{"authorization"},
	},
}

// session is what one subtest works with: its own account and an SDK client
// that counts the HTTP attempts it makes.
type session struct {
	client   *cloudflare.Client
	account  string
	cred     credential
	attempts *atomic.Int64
}

// forEachCredential runs body as one parallel subtest per credential kind,
// each with a fresh random account.
func forEachCredential(t *testing.T, body func(t *testing.T, ctx context.Context, s session)) {
	t.Helper()
	for _, cred := range credentials {
		t.Run(cred.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			t.Cleanup(cancel)
			attempts := new(atomic.Int64)
			opts := append([]option.RequestOption{
				option.WithBaseURL(emulatorURL + "/client/v4/"),
				option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
					attempts.Add(1)
					return next(req)
				}),
			}, cred.opts...)
			body(t, ctx, session{
				client:   cloudflare.NewClient(opts...),
				account:  newAccountID(t),
				cred:     cred,
				attempts: attempts,
			})
		})
	}
}

func newAccountID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newUUIDv4 makes a random version-4 UUID.
func newUUIDv4(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var (
	uuidV4Re  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	rfc3339Re = regexp.MustCompile(`^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"$`)
)

// apiError asserts that err is the SDK's *cloudflare.Error with the given HTTP
// status and exactly one error entry with the given code, both as the SDK
// decoded it and in the raw body, and returns it.
func apiError(t *testing.T, err error, status int, code int64) *cloudflare.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want an API error %d/%d, got success", status, code)
	}
	var apiErr *cloudflare.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want *cloudflare.Error, got %T: %v", err, err)
	}
	if apiErr.StatusCode != status {
		t.Errorf("StatusCode = %d, want %d (%v)", apiErr.StatusCode, status, err)
	}
	if len(apiErr.Errors) != 1 || apiErr.Errors[0].Code != code {
		t.Errorf("Errors = %+v, want exactly one with code %d (%v)", apiErr.Errors, code, err)
	}
	var body struct {
		Success  *bool             `json:"success"`
		Errors   []json.RawMessage `json:"errors"`
		Messages []json.RawMessage `json:"messages"`
		Result   json.RawMessage   `json:"result"`
	}
	if err := json.Unmarshal([]byte(apiErr.JSON.RawJSON()), &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, apiErr.JSON.RawJSON())
	}
	if body.Success == nil || *body.Success || len(body.Errors) != 1 || body.Messages == nil || string(body.Result) != "null" {
		t.Errorf("error body is not Cloudflare's failure envelope: %s", apiErr.JSON.RawJSON())
	}
	var first struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	}
	if len(body.Errors) > 0 {
		_ = json.Unmarshal(body.Errors[0], &first)
	}
	if first.Code != code || first.Message == "" {
		t.Errorf("raw errors[0] = %+v, want code %d and a message", first, code)
	}
	if ct := apiErr.Response.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return apiErr
}

// jsonField is what the SDK's (internal) apijson.Field offers.
type jsonField interface {
	IsMissing() bool
	IsNull() bool
	IsInvalid() bool
	Raw() string
}

// requireDecoded asserts, through the SDK's JSON metadata of v (a response
// struct or a pointer to one), that every field the SDK declares arrived,
// non-null and of the declared type (except those named nullable, which must
// be present but may be null). With noExtra, a field the SDK does not declare
// is an error too.
func requireDecoded(t *testing.T, what string, v any, noExtra bool, nullable ...string) {
	t.Helper()
	rv := reflect.Indirect(reflect.ValueOf(v))
	meta := rv.FieldByName("JSON")
	if !meta.IsValid() {
		t.Fatalf("%s: %T has no JSON metadata", what, v)
	}
	for i := 0; i < meta.NumField(); i++ {
		sf := meta.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Name == "ExtraFields" {
			if extra := meta.Field(i); noExtra && extra.Len() > 0 {
				keys := make([]string, 0, extra.Len())
				for _, k := range extra.MapKeys() {
					keys = append(keys, k.String())
				}
				t.Errorf("%s: fields the SDK does not know: %v", what, keys)
			}
			continue
		}
		f, ok := meta.Field(i).Interface().(jsonField)
		if !ok {
			continue
		}
		isNullable := false
		for _, n := range nullable {
			isNullable = isNullable || n == sf.Name
		}
		switch {
		case f.IsMissing():
			t.Errorf("%s: field %s is missing", what, sf.Name)
		case f.IsNull() && !isNullable:
			t.Errorf("%s: field %s is null", what, sf.Name)
		case f.IsInvalid():
			t.Errorf("%s: field %s does not decode as the SDK's type: %s", what, sf.Name, f.Raw())
		}
	}
}

// rawOf returns the raw JSON the SDK saw for field name of v's metadata.
func rawOf(t *testing.T, v any, name string) string {
	t.Helper()
	f, ok := reflect.Indirect(reflect.ValueOf(v)).FieldByName("JSON").FieldByName(name).Interface().(jsonField)
	if !ok {
		t.Fatalf("%T has no JSON metadata for %s", v, name)
	}
	return f.Raw()
}

// control calls the emulator's own control API (no Cloudflare credentials)
// and decodes the envelope's result into out.
func control(t *testing.T, ctx context.Context, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, emulatorURL+"/__emulator/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, res.StatusCode, raw)
	}
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || !env.Success {
		t.Fatalf("%s %s: not a success envelope (%v): %s", method, path, err, raw)
	}
	if out != nil {
		if err := json.Unmarshal(env.Result, out); err != nil {
			t.Fatalf("%s %s: result: %v: %s", method, path, err, env.Result)
		}
	}
}

// riskEvent is one event for the emulator's risk-events control endpoint.
type riskEvent struct {
	UserID       string         `json:"user_id"`
	Email        string         `json:"email"`
	Name         string         `json:"name"`
	Behavior     string         `json:"behavior"`
	Timestamp    string         `json:"timestamp,omitempty"`
	EventDetails map[string]any `json:"event_details,omitempty"`
}

// recordedEvent is the emulator's echo of an injected event.
type recordedEvent struct {
	ID            string `json:"id"`
	UserID        string `json:"user_id"`
	Behavior      string `json:"behavior"`
	RiskLevel     string `json:"risk_level"`
	Counted       bool   `json:"counted"`
	UserRiskLevel string `json:"user_risk_level"`
}

func injectEvent(t *testing.T, ctx context.Context, account string, ev riskEvent) recordedEvent {
	t.Helper()
	var rec recordedEvent
	control(t, ctx, http.MethodPost, "/accounts/"+account+"/risk-events", ev, &rec)
	if rec.ID == "" || rec.UserID != ev.UserID || rec.Behavior != ev.Behavior {
		t.Fatalf("risk-events echoed %+v for %+v", rec, ev)
	}
	return rec
}

// journalEntry is one request the emulator received, as its journal lists it.
type journalEntry struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Account string `json:"account"`
	Status  int    `json:"status"`
	Request struct {
		Headers map[string]string `json:"headers"`
	} `json:"request"`
}

func journal(t *testing.T, ctx context.Context, account string) []journalEntry {
	t.Helper()
	var entries []journalEntry
	control(t, ctx, http.MethodGet, "/journal?account="+account, nil, &entries)
	return entries
}

// requireCredentialHeaders asserts that every journaled request of the
// account carried exactly the credential kind the subtest chose.
func requireCredentialHeaders(t *testing.T, s session, entries []journalEntry) {
	t.Helper()
	for _, e := range entries {
		for _, h := range s.cred.sent {
			if _, ok := e.Request.Headers[h]; !ok {
				t.Errorf("%s %s: header %s was not sent (headers %v)", e.Method, e.Path, h, e.Request.Headers)
			}
		}
		for _, h := range s.cred.notSent {
			if _, ok := e.Request.Headers[h]; ok {
				t.Errorf("%s %s: header %s was sent although the client has no such credential", e.Method, e.Path, h)
			}
		}
	}
}
