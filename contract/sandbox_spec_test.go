package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/vendorkit/vendorkit/sandbox"
	"github.com/vendorkit/vendorkit/specs"
)

// The sandbox must not drift from the specs either. This test walks every
// operation of every spec against the sandbox (an operation without an
// exerciser below fails it), with the documented requests and with the
// failures the spec declares. It asserts that every response validates
// against the spec, that no response carries anything the spec does not
// describe (the drift report), and that every property the response
// schemas declare is returned by some response: a property the sandbox
// never fills is flagged, so the specs and the fake stay one.
func TestSandboxAnswersEveryOperationAsSpecified(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	specs.RegisterBodyDecoders()

	for _, v := range sb.Vendors() {
		t.Run(v.Name, func(t *testing.T) {
			prefix, _ := specs.PathPrefix(v.BaseURL)
			router, err := specs.NewRouter(v.Name, prefix)
			if err != nil {
				t.Fatal(err)
			}
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			w := &walk{t: t, v: v, rec: &recorder{base: tr}}
			w.hc = &http.Client{Transport: w.rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

			exercise := exercisers[v.Name]
			var ops []string
			for _, path := range router.Doc().Paths.InMatchingOrder() {
				for _, op := range router.Doc().Paths.Value(path).Operations() {
					ops = append(ops, op.OperationID)
				}
			}
			slices.Sort(ops)
			for _, op := range ops {
				if exercise[op] == nil {
					t.Errorf("%s: no exerciser for operation %s: add one to exercisers", v.Name, op)
					continue
				}
				exercise[op](w)
			}

			seen := map[string]bool{}   // "owner\x00key" of declared properties returned
			success := map[string]int{} // operationId → 2xx responses
			c := &driftCollector{vendor: v.Name, byKey: map[string]*Drift{}}
			for _, ex := range w.rec.all() {
				if ex.err != nil {
					t.Errorf("%s %s: %v", ex.method, ex.url.Path, ex.err)
					continue
				}
				route, params, err := router.FindRoute(ex.request())
				if err != nil {
					t.Errorf("%s %s: not in the spec", ex.method, ex.url.Path)
					continue
				}
				label := specs.RouteLabel(route)
				if ex.status/100 == 2 {
					success[route.Operation.OperationID]++
				}
				in := &openapi3filter.RequestValidationInput{Request: ex.request(), PathParams: params, Route: route, Options: validationOptions}
				if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
					RequestValidationInput: in, Status: ex.status, Header: ex.respHeader,
					Body: io.NopCloser(bytes.NewReader(ex.respBody)), Options: validationOptions,
				}); err != nil {
					t.Errorf("%s: HTTP %d response does not match the spec: %s\n%s", label, ex.status, describeKinError(err), ex.respBody)
				}
				c.exchange(router, ex)
				markDeclared(route.Operation, ex, route.Path, route.Method, seen)
			}
			for _, k := range c.order {
				t.Errorf("the sandbox drifts from the spec: %s", c.byKey[k].DriftLine())
			}
			for _, op := range ops {
				if success[op] == 0 && exercise[op] != nil {
					t.Errorf("%s: no successful response", router.Label(op))
				}
			}
			declared := declaredProperties(router.Doc())
			if len(declared) == 0 {
				t.Fatal("no declared response properties found: the walk is broken")
			}
			keys := slices.Collect(maps.Keys(declared))
			slices.Sort(keys)
			for _, k := range keys {
				if !seen[k] {
					owner, key, _ := strings.Cut(k, "\x00")
					t.Errorf("#/%s declares %q (in %s), but no sandbox response has it", owner, key, declared[k])
				}
			}
		})
	}
}

// markDeclared records the declared properties present in a response.
func markDeclared(op *openapi3.Operation, ex *exchange, path, method string, seen map[string]bool) {
	statusKey, ref := responseFor(op.Responses, ex.status)
	if ref == nil || ref.Value == nil {
		return
	}
	at := []string{"paths", path, strings.ToLower(method), "responses", statusKey}
	if ref.Ref != "" {
		at = refPath(ref.Ref)
	}
	mt := ref.Value.Content.Get(ex.respHeader.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		return
	}
	ctype := contentKey(ref.Value.Content, mt)
	body, ok := decodeBody(ex.respBody, strings.TrimSpace(strings.Split(ctype, ";")[0]), mt.Schema)
	if !ok {
		return
	}
	w := schemaWalker{
		undeclared: func([]string, string, string, any) {},
		declared:   func(owner []string, key string) { seen[strings.Join(owner, "/")+"\x00"+key] = true },
	}
	w.walk(body, mt.Schema, append(at, "content", ctype, "schema"), "$")
}

// declaredProperties returns every property the response schemas of doc
// declare, as "owner\x00key" (owner the schema path of the object schema,
// as the walker reports it), with the first operation that returns it.
func declaredProperties(doc *openapi3.T) map[string]string {
	out := map[string]string{}
	visited := map[string]bool{}
	var collect func(sr *openapi3.SchemaRef, at []string, where string)
	collect = func(sr *openapi3.SchemaRef, at []string, where string) {
		if sr == nil || sr.Value == nil {
			return
		}
		if sr.Ref != "" {
			at = refPath(sr.Ref)
		}
		id := strings.Join(at, "/")
		if visited[id] {
			return
		}
		visited[id] = true
		s := sr.Value
		for _, key := range slices.Sorted(maps.Keys(s.Properties)) {
			if _, ok := out[id+"\x00"+key]; !ok {
				out[id+"\x00"+key] = where
			}
			collect(s.Properties[key], append(slices.Clone(at), "properties", key), where)
		}
		collect(s.Items, append(slices.Clone(at), "items"), where)
		collect(s.AdditionalProperties.Schema, append(slices.Clone(at), "additionalProperties"), where)
		for _, g := range []struct {
			name string
			refs openapi3.SchemaRefs
		}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
			for i, m := range g.refs {
				collect(m, append(slices.Clone(at), g.name, strconv.Itoa(i)), where)
			}
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			for status, ref := range op.Responses.Map() {
				if ref.Value == nil {
					continue
				}
				at := []string{"paths", path, strings.ToLower(method), "responses", status}
				if ref.Ref != "" {
					at = refPath(ref.Ref)
				}
				for ctype, mt := range ref.Value.Content {
					collect(mt.Schema, append(slices.Clone(at), "content", ctype, "schema"), op.OperationID+" "+status)
				}
			}
		}
	}
	return out
}

// walk is one vendor's exercise: requests go through the recorder.
type walk struct {
	t   *testing.T
	v   *sandbox.Vendor
	rec *recorder
	hc  *http.Client
}

func (w *walk) env(field string) string {
	return w.v.Env()["VENDORKIT_"+strings.ToUpper(w.v.Name)+"_"+field]
}

// do sends a request (headers as name, value pairs) and returns the
// status and body.
func (w *walk) do(method, path, body string, headers ...string) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.v.BaseURL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// field reads a top-level JSON string field, failing when absent.
func (w *walk) field(b []byte, key string) string {
	w.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("%s: %s", err, b)
	}
	s, ok := m[key].(string)
	if !ok {
		w.t.Fatalf("no %q in %s", key, b)
	}
	return s
}

func basic(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// Per vendor, the requests that exercise each operation: the documented
// success, and the documented failures that return the error shapes.
func (w *walk) bssToken(password string) (int, []byte) {
	return w.do("POST", "/oauth/token", "grant_type=password&username="+url.QueryEscape(w.env("USERNAME"))+"&password="+url.QueryEscape(password),
		"Content-Type", "application/x-www-form-urlencoded", "Authorization", basic(w.env("CLIENT_KEY"), w.env("CLIENT_SECRET")))
}

func (w *walk) bssGet(path, tok string, headers ...string) (int, []byte) {
	h := append([]string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}, headers...)
	return w.do("GET", path, "", h...)
}

func (w *walk) bssAccess() string {
	_, b := w.bssToken(w.env("PASSWORD"))
	return w.field(b, "access_token")
}

func (w *walk) blueprintLogin(password string) (int, []byte) {
	return w.do("POST", "/account/login", "grant_type=password&username="+url.QueryEscape(w.env("USERNAME"))+"&password="+url.QueryEscape(password),
		"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
}

func (w *walk) decisivToken(secret string) (int, []byte) {
	return w.do("POST", "/platform_api/oauth2/token", "grant_type=client_credentials",
		"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8", "Accept", "application/xml",
		"Authorization", basic(w.env("CONSUMER_KEY"), secret))
}

func (w *walk) iofficeCode(password string) (int, []byte) {
	return w.do("POST", "/external/api/oauth2/auth", "", "Content-Type", "application/json",
		"x-auth-username", w.env("USERNAME"), "x-auth-password", password, "x-client-id", w.env("CLIENT_ID"))
}

func (w *walk) iofficeToken(grant, credHeader, cred string) (int, []byte) {
	return w.do("POST", "/external/api/oauth2/token", "", "Content-Type", "application/json",
		"x-grant-type", grant, "x-redirect-uri", w.env("REDIRECT_URI"), "x-client-id", w.env("CLIENT_ID"),
		"x-scope", w.env("SCOPE"), credHeader, cred)
}

// iofficeTokens returns a fresh access and refresh token.
func (w *walk) iofficeTokens() (string, string) {
	_, code := w.iofficeCode(w.env("PASSWORD"))
	_, b := w.iofficeToken("authorization_code", "x-auth-code", w.field(code, "code"))
	return w.field(b, "access_token"), w.field(b, "refresh_token")
}

var exercisers = map[string]map[string]func(*walk){
	"bss": {
		"requestToken": func(w *walk) {
			w.bssToken(w.env("PASSWORD"))
			w.bssToken("wrong password") // 400 invalid_grant
			w.do("POST", "/oauth/token", "grant_type=password&username=u&password=p",
				"Content-Type", "application/x-www-form-urlencoded") // 401: no client authentication
		},
		"getAccount": func(w *walk) {
			tok := w.bssAccess()
			w.bssGet("/api/accounts/1", tok)
			w.bssGet("/api/accounts/99", tok)                                  // 404
			w.bssGet("/api/accounts/1", "forged")                              // 401
			w.do("GET", "/api/accounts/1", "", "Authorization", "Bearer "+tok) // 400: no X-Api-Version
			w.bssGet("/api/accounts/1", tok, "Accept", "application/xml")      // 406 (the header is added twice: both must allow JSON)
		},
		"listAccountSyncOptions": func(w *walk) {
			w.bssGet("/api/accounts/1/syncoptions", w.bssAccess())
		},
		"getAccountSyncOption": func(w *walk) {
			tok := w.bssAccess()
			_, b := w.bssGet("/api/accounts/1/syncoptions", tok)
			var opts []struct {
				SystemCode string `json:"systemCode"`
			}
			if err := json.Unmarshal(b, &opts); err != nil || len(opts) == 0 {
				w.t.Fatalf("sync options: %s", b)
			}
			w.bssGet("/api/accounts/1/syncoptions/"+url.PathEscape(opts[0].SystemCode), tok)
			w.bssGet("/api/accounts/1/syncoptions/nope", tok) // 404
		},
	},
	"blueprint": {
		"login": func(w *walk) {
			w.blueprintLogin(w.env("PASSWORD"))
			w.blueprintLogin("wrong password") // 400
		},
		"listPages": func(w *walk) {
			_, b := w.blueprintLogin(w.env("PASSWORD"))
			w.do("GET", "/pages", "", "Authorization", "Bearer "+w.field(b, "access_token"))
			w.do("GET", "/pages", "", "Authorization", "Bearer forged") // 401
		},
	},
	"decisiv": {
		"requestToken": func(w *walk) {
			w.decisivToken(w.env("CONSUMER_SECRET"))
			w.decisivToken("wrong secret") // 401
			// 400: another grant.
			w.do("POST", "/platform_api/oauth2/token", "grant_type=password",
				"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8", "Accept", "application/xml",
				"Authorization", basic(w.env("CONSUMER_KEY"), w.env("CONSUMER_SECRET")))
		},
		"bearerTest": func(w *walk) {
			_, b := w.decisivToken(w.env("CONSUMER_SECRET"))
			v, err := specs.XMLBodyDecoder(bytes.NewReader(b), nil, nil, nil)
			m, _ := v.(map[string]any)
			tok, _ := m["token"].(string)
			if err != nil || tok == "" {
				w.t.Fatalf("decisiv token: %v %s", err, b)
			}
			w.do("GET", "/platform_api/bearer_test", "", "Authorization", "Bearer "+tok)
			w.do("GET", "/platform_api/bearer_test", "", "Authorization", "Bearer forged") // 401
		},
	},
	"ioffice": {
		"loginPage": func(w *walk) {
			q := url.Values{"response_type": {"code"}, "client_id": {w.env("CLIENT_ID")},
				"redirect_uri": {w.env("REDIRECT_URI")}, "scope": {w.env("SCOPE")}, "state": {"xyz"}}
			w.do("GET", "/login.html?"+q.Encode(), "")
		},
		"requestAuthCode": func(w *walk) {
			w.iofficeCode(w.env("PASSWORD"))
			w.iofficeCode("wrong password") // 401
		},
		"requestToken": func(w *walk) {
			_, refresh := w.iofficeTokens()
			w.iofficeToken("refresh_token", "x-refresh-token", refresh)
			w.iofficeToken("refresh_token", "x-refresh-token", "forged") // 400
		},
		"revokeToken": func(w *walk) {
			access, _ := w.iofficeTokens()
			w.do("POST", "/external/api/oauth2/revoke", "", "x-token", access)
		},
		"getCurrentUser": func(w *walk) {
			access, _ := w.iofficeTokens()
			w.do("GET", "/external/api/rest/v2/users/me", "", "x-access-token", access)
			w.do("GET", "/external/api/rest/v2/users/me", "", "x-access-token", "forged") // 401
		},
	},
}
