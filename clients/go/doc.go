// Package cfsdk holds an end-to-end test suite that drives the emulator of
// Cloudflare's Zero Trust risk-scoring API through Cloudflare's official Go
// SDK (github.com/cloudflare/cloudflare-go/v7). Everything lives in the
// _test.go files; this file only gives the directory a non-test package so
// that `go build ./...` and `go vet ./...` have something to name.
//
// Run it with EMULATOR_URL set to a running emulator's origin:
//
//	EMULATOR_URL=http://127.0.0.1:4712 go test -count=1 ./...
package cfsdk
