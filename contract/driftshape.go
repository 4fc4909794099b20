package contract

import (
	"encoding/json"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vendorkit/vendorkit/auth"
)

// What a drift finding's values look like: their JSON type and shape, a
// schema inferred from them, and one example when it is safe to print.

// jsonType names the JSON type of a decoded value (json.Number from JSON,
// int64/float64 from XML).
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case int, int64:
		return "integer"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "string"
}

// typeOf is the types of samples, "integer" folded into "number" when both
// occur, nulls left out unless alone; several are joined by "|".
func typeOf(samples []any) (types []string, nullable bool) {
	for _, s := range samples {
		t := jsonType(s)
		if t == "null" {
			nullable = true
			continue
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if slices.Contains(types, "integer") && slices.Contains(types, "number") {
		types = slices.DeleteFunc(types, func(t string) bool { return t == "integer" })
	}
	slices.Sort(types)
	if len(types) == 0 && nullable {
		return []string{"null"}, false
	}
	return types, nullable
}

// describe gives a finding's Type and Shape.
func describe(kind DriftKind, samples []any) (string, string) {
	switch kind {
	case DriftHeader:
		return "string", "string"
	case DriftProperty:
		types, _ := typeOf(samples)
		return strings.Join(types, "|"), shapeOf(samples, 0)
	}
	return "", ""
}

// Shape limits: nesting and keys shown.
const (
	maxShapeDepth = 3
	maxShapeKeys  = 8
)

// shapeOf renders the merged structure of samples: "{a: string, b:
// [integer]}", "[string]", "string (date-time)".
func shapeOf(samples []any, depth int) string {
	types, nullable := typeOf(samples)
	var parts []string
	for _, t := range types {
		switch t {
		case "object":
			if depth >= maxShapeDepth {
				parts = append(parts, "{…}")
				continue
			}
			keys, values := mergeObjects(samples)
			var fields []string
			for i, k := range keys {
				if i == maxShapeKeys {
					fields = append(fields, "…")
					break
				}
				fields = append(fields, k+": "+shapeOf(values[k], depth+1))
			}
			parts = append(parts, "{"+strings.Join(fields, ", ")+"}")
		case "array":
			if depth >= maxShapeDepth {
				parts = append(parts, "[…]")
				continue
			}
			elems := arrayElements(samples)
			if len(elems) == 0 {
				parts = append(parts, "[]")
			} else {
				parts = append(parts, "["+shapeOf(elems, depth+1)+"]")
			}
		case "string":
			if f := formatOf(samples); f != "" {
				parts = append(parts, "string ("+f+")")
			} else {
				parts = append(parts, "string")
			}
		default:
			parts = append(parts, t)
		}
	}
	s := strings.Join(parts, "|")
	if nullable {
		s += "|null"
	}
	return s
}

// mergeObjects returns the keys of the object samples, sorted, and each
// key's values.
func mergeObjects(samples []any) ([]string, map[string][]any) {
	values := map[string][]any{}
	var keys []string
	for _, s := range samples {
		if m, ok := s.(map[string]any); ok {
			for k, v := range m {
				if _, seen := values[k]; !seen {
					keys = append(keys, k)
				}
				values[k] = append(values[k], v)
			}
		}
	}
	slices.Sort(keys)
	return keys, values
}

// arrayElements returns the elements of the array samples.
func arrayElements(samples []any) []any {
	var out []any
	for _, s := range samples {
		if a, ok := s.([]any); ok {
			out = append(out, a...)
		}
	}
	return out
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// formatOf is the OpenAPI string format every string sample satisfies
// (date-time, date, uuid, email, uri), or "".
func formatOf(samples []any) string {
	var strs []string
	for _, s := range samples {
		if str, ok := s.(string); ok {
			strs = append(strs, str)
		}
	}
	if len(strs) == 0 {
		return ""
	}
	for _, f := range []struct {
		name string
		ok   func(string) bool
	}{
		{"date-time", func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }},
		{"date", func(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil }},
		{"uuid", uuidPattern.MatchString},
		{"email", func(s string) bool { a, err := mail.ParseAddress(s); return err == nil && a.Address == s }},
		{"uri", func(s string) bool { u, err := url.Parse(s); return err == nil && u.Scheme != "" && u.Host != "" }},
	} {
		if !slices.ContainsFunc(strs, func(s string) bool { return !f.ok(s) }) {
			return f.name
		}
	}
	return ""
}

// Example limits: a string longer than this is not shown, nor is one of
// at least tokenLike characters without a space that mixes letters and
// digits (tokens, keys, hashes, opaque ids).
const (
	maxExample = 40
	tokenLike  = 16
)

// exampleOf is the first sample as it would print, when that is safe:
// never for a name that looks like a credential (auth.IsCredentialName),
// never for a value that contains or is contained in a secret the suite
// knows (every token and credential seen on the wire), never for a
// token-like, long or multi-line string. Objects and arrays are described
// by their shape only.
func exampleOf(kind DriftKind, name string, samples []any, secrets []string) string {
	if len(samples) == 0 || (kind != DriftProperty && kind != DriftHeader) || auth.IsCredentialName(name) {
		return ""
	}
	switch v := samples[0].(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		if !safeString(v, secrets) {
			return ""
		}
		return strconv.Quote(v)
	}
	return ""
}

func safeString(s string, secrets []string) bool {
	if len(s) > maxExample || strings.ContainsAny(s, "\r\n") || !utf8Printable(s) {
		return false
	}
	for _, sec := range secrets {
		if len(sec) >= 4 && (strings.Contains(s, sec) || len(s) >= 4 && strings.Contains(sec, s)) {
			return false
		}
	}
	if len(s) >= tokenLike && !strings.ContainsRune(s, ' ') &&
		strings.ContainsFunc(s, unicode.IsDigit) && strings.ContainsFunc(s, unicode.IsLetter) {
		return false
	}
	return auth.Scrub(s) == s
}

func utf8Printable(s string) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
