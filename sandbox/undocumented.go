package sandbox

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// undocumentedWriter applies Misbehaviour.ExtraProperties and
// ExtraHeaders: it holds the response back, then adds the headers, and the
// properties when the response is a successful JSON object.
type undocumentedWriter struct {
	http.ResponseWriter
	props  map[string]any
	header http.Header
	status int
	body   bytes.Buffer
}

// undocumented returns the writer for w, or nil when the sandbox adds
// nothing.
func (v *Vendor) undocumented(w http.ResponseWriter) *undocumentedWriter {
	if len(v.misb.ExtraProperties) == 0 && len(v.misb.ExtraHeaders) == 0 {
		return nil
	}
	return &undocumentedWriter{ResponseWriter: w, props: v.misb.ExtraProperties, header: v.misb.ExtraHeaders}
}

func (u *undocumentedWriter) WriteHeader(code int) {
	if u.status == 0 {
		u.status = code
	}
}

func (u *undocumentedWriter) Write(b []byte) (int, error) {
	if u.status == 0 {
		u.status = http.StatusOK
	}
	return u.body.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Drop faults).
func (u *undocumentedWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// flush sends the response, with the additions. A handler that wrote
// nothing (a hijacked connection) sends nothing.
func (u *undocumentedWriter) flush() {
	if u.status == 0 {
		return
	}
	h := u.ResponseWriter.Header()
	for k, vs := range u.header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	body := u.body.Bytes()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	trimmed := bytes.TrimSpace(body)
	if len(u.props) > 0 && u.status/100 == 2 && (mt == "application/json" || strings.HasSuffix(mt, "+json")) &&
		len(trimmed) >= 2 && trimmed[0] == '{' && trimmed[len(trimmed)-1] == '}' {
		var b bytes.Buffer
		b.Write(trimmed[:len(trimmed)-1])
		keys := make([]string, 0, len(u.props))
		for k := range u.props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		sep := len(bytes.TrimSpace(trimmed[1:len(trimmed)-1])) > 0
		for _, k := range keys {
			val, err := json.Marshal(u.props[k])
			if err != nil {
				continue // a value JSON cannot carry (a channel): nothing to add
			}
			if sep {
				b.WriteByte(',')
			}
			sep = true
			b.Write(marshal(k))
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
		body = b.Bytes()
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	u.ResponseWriter.WriteHeader(u.status)
	u.ResponseWriter.Write(body)
}
