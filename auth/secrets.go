package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Secrets is what one client must never print: its credentials, in every
// encoding a server might echo them back in. A client builds it once, when
// it is created; Scrub then costs one pass of a strings.Replacer plus the
// well-known-shape patterns of the package function Scrub.
//
// The encodings of each value are: raw; URL query and path escaping (upper
// and lower case hex); JSON string escaping (with and without HTML escaping,
// with "\/" and upper-case \u hex); HTML escaping (&#39;, &#x27;, &quot;
// styles); base64 (standard and URL alphabets, padded or not). WithBasic
// adds the base64 of "user:pass" as an HTTP Basic header carries it, raw
// and form-encoded (RFC 6749 §2.3.1).
//
// The nil *Secrets is valid and knows no values: its Scrub is Scrub(s).
// A Secrets is immutable and safe for concurrent use.
type Secrets struct {
	values []string // as given, for With
	pairs  [][2]string
	repl   *strings.Replacer
}

// NewSecrets returns the Secrets of values; empty values are ignored.
func NewSecrets(values ...string) *Secrets {
	return build(values, nil)
}

// With returns a Secrets that also knows values (an access or refresh
// token, an authorization code). s is unchanged.
func (s *Secrets) With(values ...string) *Secrets {
	if s == nil {
		return NewSecrets(values...)
	}
	return build(append(slices.Clip(s.values), values...), s.pairs)
}

// WithBasic returns a Secrets that also knows the HTTP Basic credential of
// user and pass: pass itself and base64("user:pass"), as sent raw and with
// both parts form-encoded first. s is unchanged.
func (s *Secrets) WithBasic(user, pass string) *Secrets {
	var values []string
	var pairs [][2]string
	if s != nil {
		values, pairs = slices.Clip(s.values), slices.Clip(s.pairs)
	}
	return build(append(values, pass), append(pairs, [2]string{user, pass}))
}

// Scrub removes every known secret, in every encoding, then the well-known
// credential shapes (see the package function Scrub). Scrub before you
// truncate: a secret cut in half no longer matches.
func (s *Secrets) Scrub(text string) string {
	return scrubShapes(s.replace(text))
}

// replace removes every known secret, in every encoding; no shapes.
func (s *Secrets) replace(text string) string {
	if s == nil || s.repl == nil {
		return text
	}
	return s.repl.Replace(text)
}

// Excerpt scrubs text and then cuts it to at most n bytes (on a UTF-8
// boundary, control characters replaced), in that order.
func (s *Secrets) Excerpt(text string, n int) string {
	return truncate(s.Scrub(text), n)
}

func build(values []string, pairs [][2]string) *Secrets {
	s := &Secrets{values: values, pairs: pairs}
	seen := map[string]bool{}
	var encs []string
	add := func(e string) {
		if e != "" && !seen[e] {
			seen[e] = true
			encs = append(encs, e)
		}
	}
	for _, v := range values {
		for _, e := range encodings(v) {
			add(e)
		}
	}
	for _, p := range pairs {
		for _, up := range []string{p[0] + ":" + p[1], url.QueryEscape(p[0]) + ":" + url.QueryEscape(p[1])} {
			for _, e := range base64s(up) {
				add(e)
			}
		}
	}
	if len(encs) == 0 {
		return s
	}
	// strings.Replacer tries its arguments in order at each position:
	// longest first, so "a%21" wins over its prefix "a".
	slices.SortStableFunc(encs, func(a, b string) int { return len(b) - len(a) })
	args := make([]string, 0, 2*len(encs))
	for _, e := range encs {
		args = append(args, e, redacted)
	}
	s.repl = strings.NewReplacer(args...)
	return s
}

// encodings returns v in every form Secrets knows.
func encodings(v string) []string {
	if v == "" {
		return nil
	}
	out := []string{v}
	for _, e := range []string{url.QueryEscape(v), url.PathEscape(v)} {
		out = append(out, e, lowerHex.ReplaceAllStringFunc(e, strings.ToLower))
	}
	for _, e := range jsonEscapes(v) {
		out = append(out, e, strings.ReplaceAll(e, `/`, `\/`))
	}
	out = append(out, html.EscapeString(v), htmlAlt1.Replace(v), htmlAlt2.Replace(v))
	out = append(out, base64s(v)...)
	return out
}

var (
	lowerHex = regexp.MustCompile(`%[0-9A-F]{2}`)
	upperU   = regexp.MustCompile(`\\u[0-9a-f]{4}`)
	// Python's html.escape and PHP's htmlspecialchars, besides Go's.
	htmlAlt1 = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")
	htmlAlt2 = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;")
)

// jsonEscapes: v inside a JSON string, as encoders escape it (Go's default
// escapes <, > and & as \u003c..., others do not; some write upper-case hex).
func jsonEscapes(v string) []string {
	var out []string
	for _, escapeHTML := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(v) != nil {
			continue
		}
		e := strings.TrimSuffix(b.String(), "\n")
		e = e[1 : len(e)-1]
		out = append(out, e, upperU.ReplaceAllStringFunc(e, func(m string) string { return `\u` + strings.ToUpper(m[2:]) }))
	}
	return out
}

func base64s(v string) []string {
	b := []byte(v)
	return []string{
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
}
