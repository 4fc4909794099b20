package contract

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		samples    []string
		typ, shape string
	}{
		{[]string{`"x"`}, "string", "string"},
		{[]string{`"2026-01-02T03:04:05Z"`, `"2026-01-02T03:04:05+01:00"`}, "string", "string (date-time)"},
		{[]string{`"2026-01-02"`}, "string", "string (date)"},
		{[]string{`"0b9a3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"`}, "string", "string (uuid)"},
		{[]string{`"a@example.com"`}, "string", "string (email)"},
		{[]string{`"https://example.com/x"`}, "string", "string (uri)"},
		{[]string{`"2026-01-02"`, `"soon"`}, "string", "string"},
		{[]string{`3`, `4`}, "integer", "integer"},
		{[]string{`3`, `4.5`}, "number", "number"},
		{[]string{`true`}, "boolean", "boolean"},
		{[]string{`null`}, "null", "null"},
		{[]string{`"x"`, `null`}, "string", "string|null"},
		{[]string{`"x"`, `1`}, "integer|string", "integer|string"},
		{[]string{`[]`}, "array", "[]"},
		{[]string{`[1, 2]`, `["a"]`}, "array", "[integer|string]"},
		{[]string{`{"b": {"c": [true]}, "a": 1}`, `{"d": null}`}, "object", "{a: integer, b: {c: [boolean]}, d: null}"},
		{[]string{`{"a": {"b": {"c": {"d": 1}}}}`}, "object", "{a: {b: {c: {…}}}}"},
		{[]string{`{"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1}`}, "object",
			"{k1: integer, k2: integer, k3: integer, k4: integer, k5: integer, k6: integer, k7: integer, k8: integer, …}"},
	} {
		var samples []any
		for _, s := range tc.samples {
			samples = append(samples, decodeJSON(t, s))
		}
		typ, shape := describe(DriftProperty, samples)
		if typ != tc.typ || shape != tc.shape {
			t.Errorf("%v: %q %q, want %q %q", tc.samples, typ, shape, tc.typ, tc.shape)
		}
	}
}

func TestExampleOf(t *testing.T) {
	secrets := []string{"hunter2secret", "tok-123456789"}
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"note", "hello world", `"hello world"`},
		{"count", json.Number("42"), "42"},
		{"flag", true, "true"},
		{"gone", nil, "null"},
		{"access_token", "abc", ""},
		{"clientSecret", "abc", ""},
		{"x-auth-code", "abc", ""},
		{"note", "my hunter2secret!", ""},         // contains a known secret
		{"note", "tok-1234", ""},                  // part of a known secret
		{"note", "eyJhbGciOiJIUzI1NiJ9", ""},      // token-like
		{"note", "a1b2c3d4e5f6a7b8", ""},          // hex id, token-like
		{"note", strings.Repeat("word ", 10), ""}, // long
		{"note", "line1\nline2", ""},              // multi-line
		{"note", "Bearer abc", ""},                // auth.Scrub would change it
		{"note", "\x1b[31mred", ""},               // control characters
		{"items", []any{"a"}, ""},                 // shape only
		{"obj", map[string]any{"a": "b"}, ""},     // shape only
		{"city", "Athens", `"Athens"`},
	} {
		if got := exampleOf(DriftProperty, tc.name, []any{tc.value}, secrets); got != tc.want {
			t.Errorf("exampleOf(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	if got := exampleOf(DriftStatus, "x", []any{"y"}, nil); got != "" {
		t.Errorf("a status has an example: %q", got)
	}
}

// The walker follows $refs, items, allOf/oneOf/anyOf members and
// additionalProperties schemas; a key none of them declares is drift,
// unless additionalProperties: true says any key is fine.
func TestSchemaWalker(t *testing.T) {
	spec := []byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Base:
      type: object
      properties:
        id: {type: integer}
    Thing:
      allOf:
        - $ref: "#/components/schemas/Base"
        - type: object
          properties:
            tags:
              type: array
              items:
                $ref: "#/components/schemas/Tag"
            labels:
              type: object
              additionalProperties:
                type: object
                properties:
                  text: {type: string}
            free:
              type: object
              additionalProperties: true
    Tag:
      type: object
      properties:
        name: {type: string}
`)
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	thing := &openapi3.SchemaRef{Ref: "#/components/schemas/Thing", Value: doc.Components.Schemas["Thing"].Value}
	body := decodeJSON(t, `{"id":1,"extra":2,"tags":[{"name":"a","colour":"red"}],"labels":{"en":{"text":"x","lang":"en"}},"free":{"any":1}}`)
	var got, declared []string
	w := schemaWalker{
		undeclared: func(at []string, path, key string, v any) {
			got = append(got, strings.Join(at, "/")+" "+path+" "+key)
		},
		declared: func(at []string, key string) { declared = append(declared, strings.Join(at, "/")+"."+key) },
	}
	w.walk(body, thing, []string{"paths", "/x", "get"}, "$")
	want := []string{
		"components/schemas/Thing $.extra extra",
		"components/schemas/Thing/allOf/1/properties/labels/additionalProperties $.labels.en.lang lang",
		"components/schemas/Tag $.tags[].colour colour",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("undeclared:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantDeclared := "components/schemas/Thing/allOf/1.free components/schemas/Base.id components/schemas/Thing/allOf/1.labels " +
		"components/schemas/Thing/allOf/1/properties/labels/additionalProperties.text components/schemas/Thing/allOf/1.tags components/schemas/Tag.name"
	if strings.Join(declared, " ") != wantDeclared {
		t.Errorf("declared: %s", strings.Join(declared, " "))
	}
}

// Undeclared statuses and content types are drift too, and the patch
// describes them with the body's schema.
func TestDriftStatusAndContentType(t *testing.T) {
	r := testRunner(t, "bss", "")
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	exs := []*exchange{
		ex("GET", "http://h/api/accounts/1", nil, "", 409, jsonCT, `{"error":"conflict","retry":true}`),
		ex("GET", "http://h/api/accounts/1", nil, "", 200, http.Header{"Content-Type": {"text/csv"}}, "id\n1\n"),
		ex("GET", "http://h/api/accounts/1", nil, "", 503, jsonCT, `{"boom":1}`), // infrastructure: ignored
		ex("GET", "http://h/not/in/spec", nil, "", 200, jsonCT, `{"x":1}`),       // not the spec's: ignored
	}
	c := &driftCollector{vendor: "bss", byKey: map[string]*Drift{}}
	for _, e := range exs {
		c.exchange(r.router, e)
	}
	if len(c.order) != 2 {
		t.Fatalf("%d findings: %v", len(c.order), c.order)
	}
	var drift []Drift
	for _, k := range c.order {
		drift = append(drift, *c.byKey[k])
	}
	if d := drift[0]; d.Kind != DriftStatus || d.Name != "HTTP 409" || d.Status != 409 {
		t.Errorf("status: %+v", d)
	}
	if d := drift[1]; d.Kind != DriftContentType || d.Name != "text/csv" {
		t.Errorf("content type: %+v", d)
	}
	var patch bytes.Buffer
	if err := WriteDriftPatch(&patch, drift); err != nil {
		t.Fatal(err)
	}
	want := `# specs/bss.yaml: what the bss deployment sent that the spec does not describe
# (vendorkit contract --drift). Merge each entry into the spec at the same
# place, review the types, then run make generate and make check-breaking.

paths:
  /api/accounts/{accountId}:
    get:
      responses:
        "200":
          content:
            text/csv: {}
        "409":
          description: 'Undocumented: seen in GET /api/accounts/{accountId} (getAccount) 409 (vendorkit contract --drift).'
          content:
            application/json:
              schema:
                type: object
                properties:
                  error:
                    type: string
                  retry:
                    type: boolean
`
	if patch.String() != want {
		t.Errorf("patch:\n%s\nwant:\n%s", patch.String(), want)
	}
}
