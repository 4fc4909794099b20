// Package breaking is vendorkit's breaking-change gate (make
// check-breaking): it compares each spec, and the Go API generated from
// it, with the specs as last released, kept in the repository
// (specs/released/), so that a fresh clone can run it with no tags and no
// network.
//
//   - Spec level: oasdiff's full rule set, every spec in specs/*.yaml
//     against specs/released/<same name>. ERR is breaking, WARN a
//     warning, INFO compatible. A released spec without a current one is
//     breaking.
//   - Go level: the repository is copied to a temporary directory, the
//     released specs put in place of the current ones, and the code
//     regenerated there with the repository's own generate target (so the
//     pinned oapi-codegen and whatever codegen layout the repository has).
//     Then every package the patterns match (default ./gen/... and
//     ./client/...; internal packages and commands are not API) is loaded
//     from both trees with golang.org/x/tools/go/packages and compared with
//     golang.org/x/exp/apidiff. Its incompatible changes are breaking,
//     including a method added to an interface: that breaks code which
//     implements it (a mock, a fake server).
//
// Both trees share everything but the specs, so what is reported is what
// the spec edits do: a generator upgrade, a codegen configuration change
// or a hand edit is on both sides.
//
// A breaking change fails the check unless the acknowledgement file
// (specs/BREAKING.md, format in ack.go) names it; an acknowledgement that
// matches nothing fails too, so the file does not rot. Release moves the
// baseline forward. Every change is printed on one line ("spec bss: ...",
// "go gen/bssapi: ..."), the same line an acknowledgement quotes; WriteJUnit
// writes the same as JUnit XML.
//
// It lives in the nested module tools/, with oasdiff and x/exp pinned in
// tools/go.mod, so that neither their go directive nor their dependencies
// reach vendorkit's own go.mod and the applications that import vendorkit.
package breaking
