package contract

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// maxRecordedBody bounds how much of a response body is kept for
// validation; the rest still reaches the client. The documented bodies
// are a few hundred bytes.
const maxRecordedBody = 4 << 20

// exchange is one HTTP round trip as the wire saw it.
type exchange struct {
	method     string
	url        *url.URL
	reqHeader  http.Header
	reqBody    []byte
	status     int
	respHeader http.Header
	respBody   []byte
	truncated  bool     // respBody is only the first maxRecordedBody bytes
	err        error    // transport error: no response
	secrets    []string // exchangeSecrets, found once when recorded
}

// request rebuilds the request for kin's validators (fresh body each call).
func (e *exchange) request() *http.Request {
	req := &http.Request{
		Method:        e.method,
		URL:           e.url,
		Header:        e.reqHeader,
		Body:          http.NoBody,
		ContentLength: int64(len(e.reqBody)),
		Host:          e.url.Host,
	}
	if len(e.reqBody) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(e.reqBody))
	}
	return req
}

// recorder is the base transport under the client's auth stack: it sees
// every exchange exactly as sent and received (each retry, each token
// request), keeps a copy, and hands the client an untouched response.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []*exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := &exchange{method: req.Method, reqHeader: req.Header.Clone()}
	u := *req.URL
	ex.url = &u
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.reqBody = body
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req = clone
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		ex.err = err
		r.add(ex)
		return nil, err
	}
	ex.status = resp.StatusCode
	ex.respHeader = resp.Header.Clone()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxRecordedBody+1))
	switch {
	case rerr != nil:
		// The connection broke mid-body: the client gets what came and
		// then the same error.
		orig := resp.Body
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), errReader{rerr}), orig}
		ex.respBody = body
	case len(body) > maxRecordedBody:
		orig := resp.Body
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), orig), orig}
		ex.respBody, ex.truncated = body[:maxRecordedBody], true
	default:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		ex.respBody = body
	}
	r.add(ex)
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (r *recorder) add(ex *exchange) {
	ex.secrets = exchangeSecrets(ex)
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
}

// mark is the position of the next exchange.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// since returns the exchanges recorded from mark on.
func (r *recorder) since(mark int) []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mark > len(r.log) {
		return nil
	}
	return append([]*exchange(nil), r.log[mark:]...)
}

// all returns every exchange recorded so far.
func (r *recorder) all() []*exchange { return r.since(0) }
