package breaking

import (
	"strings"
	"testing"
)

const ackHeader = `# Acknowledged breaking changes

Text that explains the file; its example is not read:

    - go gen/x: Y: removed
      why: an example

<!--
- go gen/x: Z: removed
-->
`

func TestParseAcks(t *testing.T) {
	f, err := parseAcks([]byte(ackHeader + `
## Unreleased

<!-- entries below -->
- go gen/bssapi: Account.Name: removed
- go gen/bssapi: GetAccount200JSONResponse.Name: removed
  why: BSS renamed the field
  to displayName.

- spec bss: GET /a: api-path-removed-without-deprecation: API path removed without deprecation
  why:
    the endpoint was never live

## Released 2026-01-02

- go gen/old: Gone: removed
  why: history, not matched
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Ack{
		{"go gen/bssapi: Account.Name: removed", "BSS renamed the field to displayName.", 15},
		{"go gen/bssapi: GetAccount200JSONResponse.Name: removed", "BSS renamed the field to displayName.", 16},
		{"spec bss: GET /a: api-path-removed-without-deprecation: API path removed without deprecation", "the endpoint was never live", 20},
	}
	if len(f.acks) != len(want) {
		t.Fatalf("acks = %+v", f.acks)
	}
	for i, a := range f.acks {
		if a != want[i] {
			t.Errorf("ack %d = %+v, want %+v", i, a, want[i])
		}
	}
}

func TestParseAcksErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"no why", "- go gen/x: A: removed\n", `line 3: "go gen/x: A: removed" has no reason`},
		{"placeholder why", "- go gen/x: A: removed\n  why: <who is affected, and why the change is right>\n", "has no reason"},
		{"empty why", "- go gen/x: A: removed\n  why:\n", "has no reason"},
		{"not why", "- go gen/x: A: removed\n  because it is fine\n", `line 4: expected "why: <reason>"`},
		{"stray text", "some prose\n", `line 3: the "## Unreleased" section holds only entries`},
		{"duplicate", "- go gen/x: A: removed\n  why: a\n- go gen/x: A: removed\n  why: b\n", `line 5: "go gen/x: A: removed" is already acknowledged on line 3`},
		{"two sections", "## Unreleased\n", "a second"},
		{"why after blank", "- go gen/x: A: removed\n\n  why: a\n", "has no reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAcks([]byte("# x\n## Unreleased\n" + tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseAcksNoSection(t *testing.T) {
	f, err := parseAcks([]byte("# x\n\n- go gen/x: A: removed\n"))
	if err != nil || len(f.acks) != 0 {
		t.Fatalf("acks %+v, err %v", f.acks, err)
	}
	if got := string(f.release("2026-01-01")); got != "# x\n\n- go gen/x: A: removed\n" {
		t.Errorf("release changed a file without entries: %q", got)
	}
}

func TestRelease(t *testing.T) {
	in := ackHeader + `
## Unreleased

<!-- entries below -->
- go gen/a: A: removed
- go gen/a: B: removed
  why: one reason

- spec a: GET /x: api-path-removed-without-deprecation: API path removed without deprecation
  why: another

## Released 2026-01-02

- go gen/old: Gone: removed
  why: history
`
	f, err := parseAcks([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.release("2026-03-04"))
	want := ackHeader + `
## Unreleased

<!-- entries below -->

## Released 2026-03-04

- go gen/a: A: removed
- go gen/a: B: removed
  why: one reason
- spec a: GET /x: api-path-removed-without-deprecation: API path removed without deprecation
  why: another

## Released 2026-01-02

- go gen/old: Gone: removed
  why: history
`
	if got != want {
		t.Errorf("release:\n%s\nwant:\n%s", got, want)
	}
	again, err := parseAcks([]byte(got))
	if err != nil || len(again.acks) != 0 {
		t.Errorf("after release: acks %+v, err %v", again.acks, err)
	}
}
