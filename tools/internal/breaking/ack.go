package breaking

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// The acknowledgement file (specs/BREAKING.md) is Markdown. Only its
// "## Unreleased" section is read. Each entry there is a group of list
// items, each holding one line exactly as check-breaking printed it
// (without the status word), followed by an indented "why:" paragraph
// that applies to the whole group:
//
//	## Unreleased
//
//	- go gen/bssapi: Account.Name: removed
//	- go gen/bssapi: GetAccount200JSONResponse.Name: removed
//	  why: BSS renamed the field to displayName (their changelog of
//	  2026-11-20); applications read DisplayName from now on.
//
// HTML comments are skipped. The other sections ("## Released <date>") are
// the record of past releases and are not matched.

// unreleasedHeading is the heading of the section whose entries count.
const unreleasedHeading = "## Unreleased"

// Ack is one acknowledged breaking change.
type Ack struct {
	Line string // the change line, as printed
	Why  string
	Pos  int // 1-based line number of the entry in the file
}

// ackFile is the parsed acknowledgement file.
type ackFile struct {
	lines []string
	acks  []Ack
	// section is the [start, end) range of lines of the Unreleased
	// section, heading excluded; entries are the line ranges of its
	// entries. start is -1 when the file has no such section.
	start, end int
	entries    [][2]int
}

// readAcks parses the acknowledgement file at path. A missing file has no
// acknowledgements.
func readAcks(path string) (*ackFile, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &ackFile{start: -1}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := parseAcks(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func parseAcks(b []byte) (*ackFile, error) {
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	f := &ackFile{lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n"), start: -1}
	inComment := false
	seen := map[string]int{}
	// group are the entries waiting for their reason; why is that reason
	// as read so far (hasWhy once its "why:" line was seen).
	var group []Ack
	var why strings.Builder
	hasWhy := false
	finish := func(end int) error {
		if len(group) == 0 {
			return nil
		}
		reason := strings.TrimSpace(why.String())
		if reason == "" || strings.HasPrefix(reason, "<") {
			return fmt.Errorf("line %d: %q has no reason: add an indented line \"why: ...\" under it", group[len(group)-1].Pos, group[len(group)-1].Line)
		}
		for _, a := range group {
			a.Why = reason
			f.acks = append(f.acks, a)
		}
		f.entries = append(f.entries, [2]int{group[0].Pos - 1, end})
		group, hasWhy = nil, false
		why.Reset()
		return nil
	}
	for i, line := range f.lines {
		trimmed := strings.TrimSpace(line)
		if inComment || strings.HasPrefix(trimmed, "<!--") {
			inComment = !strings.Contains(trimmed, "-->")
			continue
		}
		if strings.HasPrefix(line, "#") {
			if err := finish(i); err != nil {
				return nil, err
			}
			if f.start >= 0 && f.end < 0 {
				f.end = i
			}
			if trimmed == unreleasedHeading {
				if f.start >= 0 {
					return nil, fmt.Errorf("line %d: a second %q section", i+1, unreleasedHeading)
				}
				f.start, f.end = i+1, -1
			}
			continue
		}
		if f.start < 0 || f.end >= 0 {
			continue // outside the Unreleased section
		}
		switch {
		case strings.HasPrefix(line, "- "):
			if hasWhy {
				if err := finish(i); err != nil {
					return nil, err
				}
			}
			l := strings.TrimSpace(line[2:])
			if prev, ok := seen[l]; ok {
				return nil, fmt.Errorf("line %d: %q is already acknowledged on line %d", i+1, l, prev)
			}
			seen[l] = i + 1
			group = append(group, Ack{Line: l, Pos: i + 1})
		case trimmed == "":
			if err := finish(i); err != nil {
				return nil, err
			}
		case len(group) > 0 && (line[0] == ' ' || line[0] == '\t'):
			if !hasWhy {
				rest, ok := strings.CutPrefix(trimmed, "why:")
				if !ok {
					return nil, fmt.Errorf("line %d: expected \"why: <reason>\" under the entry of line %d", i+1, group[len(group)-1].Pos)
				}
				hasWhy = true
				trimmed = rest
			}
			why.WriteString(trimmed)
			why.WriteByte(' ')
		default:
			return nil, fmt.Errorf("line %d: the %q section holds only entries (\"- <line check-breaking printed>\" lines, then an indented \"why: ...\"): got %q",
				i+1, unreleasedHeading, line)
		}
	}
	if err := finish(len(f.lines)); err != nil {
		return nil, err
	}
	if f.start >= 0 && f.end < 0 {
		f.end = len(f.lines)
	}
	return f, nil
}

// release returns the file with the Unreleased entries moved under a new
// "## Released <date>" section right after it (newest first), the
// Unreleased section keeping its other text.
func (f *ackFile) release(date string) []byte {
	if len(f.entries) == 0 {
		return []byte(strings.Join(f.lines, "\n") + "\n")
	}
	var moved []string
	drop := map[int]bool{}
	for _, e := range f.entries {
		for i := e[0]; i < e[1]; i++ {
			drop[i] = true
			moved = append(moved, f.lines[i])
		}
	}
	var out []string
	for i, line := range f.lines[:f.end] {
		if !drop[i] {
			out = append(out, line)
		}
	}
	out = trimBlankTail(out)
	out = append(out, "", "## Released "+date, "")
	out = append(out, moved...)
	if f.end < len(f.lines) {
		out = append(out, "")
		out = append(out, f.lines[f.end:]...)
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(out, "\n"))
	b.WriteByte('\n')
	return b.Bytes()
}

func trimBlankTail(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
