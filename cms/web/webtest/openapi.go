// Package webtest checks, in tests, that what the HTTP API answers is what
// its OpenAPI document (web.OpenAPI, served at /api/v1/openapi.json) says.
package webtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/huimin/huimin/cms/web"
)

// Validator validates responses against the OpenAPI document. The document
// is OpenAPI 3.1; kin-openapi validates 3.1 schemas with a JSON Schema
// 2020-12 validator (type arrays such as ["string","null"], false schemas
// for properties that must never appear).
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	// Strict makes an answer from a route the document does not describe a
	// test failure; otherwise it is skipped.
	Strict bool
}

// NewValidator loads and checks the document.
func NewValidator(tb testing.TB) *Validator {
	tb.Helper()
	doc, err := LoadDoc()
	if err != nil {
		tb.Fatalf("OpenAPI document: %v", err)
	}
	// Servers hold a relative URL; route on paths alone.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		tb.Fatalf("OpenAPI router: %v", err)
	}
	return &Validator{doc: doc, router: router, Strict: true}
}

// LoadDoc parses and validates the OpenAPI document.
func LoadDoc() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI())
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
}

// Check validates one answer: status, headers and body of resp to req.
// HEAD and OPTIONS requests and 304 answers have no body to check.
func (v *Validator) Check(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	tb.Helper()
	if req.Method == http.MethodOptions {
		return
	}
	r := req.Clone(context.Background())
	if r.Method == http.MethodHead {
		r.Method = http.MethodGet
	}
	r.URL = &url.URL{Path: req.URL.Path, RawQuery: req.URL.RawQuery}
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		if v.Strict {
			tb.Errorf("OpenAPI: %s %s is not documented: %v", req.Method, req.URL.Path, err)
		}
		return
	}
	if req.Method == http.MethodHead || status == http.StatusNotModified {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("OpenAPI: %s %s → %d does not match the document:\n%v\nbody: %.600s", req.Method, req.URL, status, err, body)
	}
}

// Transport is an http.RoundTripper that validates every answer it carries.
type Transport struct {
	V    *Validator
	TB   testing.TB
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Header.Get("Content-Encoding") == "" || resp.Uncompressed {
		t.V.Check(t.TB, req, resp.StatusCode, resp.Header, body)
	}
	return resp, nil
}
