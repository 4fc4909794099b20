package breaking

import (
	"cmp"
	"slices"
)

// Level is how a change is judged.
type Level int

// Levels, mildest first.
const (
	// Compatible is an addition: oasdiff's INFO, apidiff's compatible.
	Compatible Level = iota
	// Warning is oasdiff's WARN, a change that breaks only clients
	// relying on something the spec never promised (a pattern, a token
	// URL). Reported, never a failure: where it reaches the Go API, the
	// Go comparison reports it as breaking.
	Warning
	// NotCompared is a package that does not build against the released
	// specs (hand-written code using an operation added since): its own
	// API is not compared, the generated packages it wraps are.
	NotCompared
	// Breaking is oasdiff's ERR, apidiff's incompatible, or a spec or
	// package that was removed. It fails the check unless acknowledged.
	Breaking
)

func (l Level) String() string {
	switch l {
	case Compatible:
		return "compatible"
	case Warning:
		return "warning"
	case NotCompared:
		return "not compared"
	default:
		return "breaking"
	}
}

// Change is one difference between the released baseline and the tree.
type Change struct {
	Level Level
	// Unit is what was compared: "spec bss" (specs/bss.yaml against
	// specs/released/bss.yaml) or "go gen/bssapi" (a package path
	// relative to the module).
	Unit string
	// Text says what changed: "GET /api/accounts/{accountId}:
	// api-removed-without-deprecation: api removed without deprecation"
	// or "Account.Name: removed".
	Text string
}

// Line is the change as printed and as acknowledged in the
// acknowledgement file: "spec bss: ..." or "go gen/bssapi: ...".
func (c Change) Line() string { return c.Unit + ": " + c.Text }

// sortChanges orders changes by unit (specs first), then line.
func sortChanges(cs []Change) {
	slices.SortFunc(cs, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Unit, b.Unit), cmp.Compare(a.Text, b.Text), cmp.Compare(a.Level, b.Level))
	})
}
