package contract

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WriteDriftPatch writes what the drift findings would add to the specs,
// as YAML a maintainer pastes into specs/<vendor>.yaml: one document per
// vendor with drift, each a fragment of the spec from its root (paths:,
// components:) down to the entries to add, so every entry shows where it
// goes. Merged into the spec (by hand, or by any YAML deep merge), it
// describes everything that was found:
//
//   - a property: its schema, inferred from the values seen (type,
//     format, nested properties and items; no values), under the
//     properties of the schema that lacked it (a $ref'd component when the
//     response uses one);
//   - a header: a string header of the response;
//   - a status code: a response with the content type and schema seen;
//   - a content type: a media type of the response, with the schema seen.
//
// Each entry's description says where it was seen. The types are a
// guess from a few responses: review them before committing.
func WriteDriftPatch(w io.Writer, drift []Drift) error {
	if len(drift) == 0 {
		_, err := io.WriteString(w, "# vendorkit contract --drift: every response matched its spec; nothing to add.\n")
		return err
	}
	var vendors []string
	for _, d := range drift {
		if !slices.Contains(vendors, d.Vendor) {
			vendors = append(vendors, d.Vendor)
		}
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	for _, v := range vendors {
		root := &yaml.Node{Kind: yaml.MappingNode}
		for _, e := range patchEntries(drift, v) {
			m := root
			for _, seg := range e.at {
				m = child(m, seg)
			}
			setKey(m, e.key, e.value)
		}
		doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
			HeadComment: fmt.Sprintf("specs/%s.yaml: what the %s deployment sent that the spec does not describe\n"+
				"(vendorkit contract --drift). Merge each entry into the spec at the same\n"+
				"place, review the types, then run make generate and make check-breaking.", v, v)}
		if err := enc.Encode(doc); err != nil {
			return err
		}
	}
	return enc.Close()
}

// patchEntry is one key to add to the spec.
type patchEntry struct {
	at    []string
	key   string
	value *yaml.Node
}

// patchEntries turns one vendor's findings into entries, merging those
// that land on the same spot (a component schema that several operations
// return), in spec order.
func patchEntries(drift []Drift, vendor string) []patchEntry {
	type group struct {
		kind    DriftKind
		at      []string
		key     string
		samples []any
		seenIn  []string
	}
	var order []string
	groups := map[string]*group{}
	for _, d := range drift {
		if d.Vendor != vendor {
			continue
		}
		k := strings.Join(append(slices.Clone(d.at), d.key), "\x00")
		g, ok := groups[k]
		if !ok {
			g = &group{kind: d.Kind, at: d.at, key: d.key}
			groups[k] = g
			order = append(order, k)
		}
		g.samples = append(g.samples, d.samples...)
		where := fmt.Sprintf("%s %d", d.Operation, d.Status)
		if !slices.Contains(g.seenIn, where) {
			g.seenIn = append(g.seenIn, where)
		}
	}
	slices.Sort(order)
	out := make([]patchEntry, 0, len(order))
	for _, k := range order {
		g := groups[k]
		desc := "Undocumented: seen in " + strings.Join(g.seenIn, "; ") + " (vendorkit contract --drift)."
		var value *yaml.Node
		switch g.kind {
		case DriftProperty:
			value = schemaNode(g.samples, 0)
			prependPair(value, "description", str(desc))
		case DriftHeader:
			value = mapping("description", str(desc), "schema", mapping("type", str("string")))
		case DriftStatus:
			value = mapping("description", str(desc))
			if content := contentNode(g.samples); content != nil {
				value.Content = append(value.Content, str("content"), content)
			}
		case DriftContentType:
			value = mediaTypeNode(g.samples)
		}
		out = append(out, patchEntry{at: g.at, key: g.key, value: value})
	}
	return out
}

// contentNode is the content of an undeclared response: one media type
// per type seen, with the schema of its bodies.
func contentNode(samples []any) *yaml.Node {
	byType := map[string][]any{}
	var types []string
	for _, s := range samples {
		r, ok := s.(undeclaredResponse)
		if !ok || r.mediaType == "" {
			continue
		}
		if _, seen := byType[r.mediaType]; !seen {
			types = append(types, r.mediaType)
		}
		byType[r.mediaType] = append(byType[r.mediaType], s)
	}
	if len(types) == 0 {
		return nil
	}
	slices.Sort(types)
	content := &yaml.Node{Kind: yaml.MappingNode}
	for _, t := range types {
		content.Content = append(content.Content, str(t), mediaTypeNode(byType[t]))
	}
	return content
}

// mediaTypeNode is a media type object with the schema of the decoded
// bodies, or an empty one when none was decoded.
func mediaTypeNode(samples []any) *yaml.Node {
	var bodies []any
	for _, s := range samples {
		if r, ok := s.(undeclaredResponse); ok && r.decoded {
			bodies = append(bodies, r.body)
		}
	}
	if len(bodies) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	}
	return mapping("schema", schemaNode(bodies, 0))
}

// schemaNode infers a schema from values: their type (none when they
// disagree), a format every string satisfies, nullable when null was
// seen, the properties of objects and the items of arrays, recursively.
func schemaNode(samples []any, depth int) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if depth > maxWalkDepth {
		return n
	}
	types, nullable := typeOf(samples)
	switch {
	case len(types) == 1 && types[0] == "null":
		n.Content = append(n.Content, str("nullable"), boolean(true))
		return n
	case len(types) == 1:
		n.Content = append(n.Content, str("type"), str(types[0]))
	case len(types) > 1:
		n.Content = append(n.Content, str("description"), str("Seen as "+strings.Join(types, " and ")+"."))
	}
	if slices.Contains(types, "string") && len(types) == 1 {
		if f := formatOf(samples); f != "" {
			n.Content = append(n.Content, str("format"), str(f))
		}
	}
	if nullable {
		n.Content = append(n.Content, str("nullable"), boolean(true))
	}
	if slices.Contains(types, "object") {
		keys, values := mergeObjects(samples)
		props := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			props.Content = append(props.Content, str(k), schemaNode(values[k], depth+1))
		}
		if len(keys) == 0 {
			props.Style = yaml.FlowStyle
		}
		n.Content = append(n.Content, str("properties"), props)
	}
	if slices.Contains(types, "array") {
		items := schemaNode(arrayElements(samples), depth+1)
		if len(items.Content) == 0 {
			items.Style = yaml.FlowStyle
		}
		n.Content = append(n.Content, str("items"), items)
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// YAML node helpers.

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// mapping builds a mapping from key, value pairs (a string value becomes
// a string scalar).
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(*yaml.Node)
		if !ok {
			v = str(fmt.Sprint(kv[i+1]))
		}
		n.Content = append(n.Content, str(kv[i].(string)), v)
	}
	return n
}

func prependPair(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append([]*yaml.Node{str(key), value}, m.Content...)
	m.Style = 0
}

// child returns the mapping under key in m, adding it if missing.
func child(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	c := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, str(key), c)
	return c
}

// setKey sets key in m to value.
func setKey(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, str(key), value)
}
