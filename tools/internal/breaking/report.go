package breaking

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status words of the text report, one per printed line.
const (
	statusBreaking    = "BREAKING"
	statusAcked       = "acknowledged"
	statusWarning     = "warning"
	statusCompatible  = "compatible"
	statusNotCompared = "not-compared"
	statusStale       = "STALE"
)

func (r *Result) status(c Change) string {
	switch c.Level {
	case Breaking:
		if _, ok := r.Acked[c.Line()]; ok {
			return statusAcked
		}
		return statusBreaking
	case Warning:
		return statusWarning
	case NotCompared:
		return statusNotCompared
	}
	return statusCompatible
}

// WriteText writes one line per change (status, then the change line),
// one per stale acknowledgement, and a closing summary; when the check
// fails, the entries to paste into the acknowledgement file.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "check-breaking: %d specs against %s/, %d Go packages against the code generated from them\n",
		len(r.Specs), r.Baseline, len(r.Packages))
	if len(r.Changes)+len(r.Stale) > 0 {
		b.WriteByte('\n')
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Changes {
			fmt.Fprintf(tw, "%s\t%s\n", r.status(c), c.Line())
		}
		for _, a := range r.Stale {
			fmt.Fprintf(tw, "%s\t%s (%s:%d acknowledges a change that does not happen: remove it)\n", statusStale, a.Line, r.AckFile, a.Pos)
		}
		tw.Flush()
	}
	counts := map[Level]int{}
	for _, c := range r.Changes {
		counts[c.Level]++
	}
	unacked := r.Unacknowledged()
	fmt.Fprintf(&b, "\ncheck-breaking: %d breaking (%d acknowledged), %d warnings, %d compatible, %d not compared, %d stale acknowledgements: ",
		counts[Breaking], counts[Breaking]-len(unacked), counts[Warning], counts[Compatible], counts[NotCompared], len(r.Stale))
	if !r.Failed() {
		b.WriteString("ok\n")
	} else {
		b.WriteString("FAIL\n")
		if len(unacked) > 0 {
			fmt.Fprintf(&b, "\nFix each breaking change, or acknowledge it under %q in %s, saying why:\n\n", unreleasedHeading, r.AckFile)
			for _, c := range unacked {
				fmt.Fprintf(&b, "- %s\n", c.Line())
			}
			b.WriteString("  why: <who is affected, and why the change is right>\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit XML: a testsuite per compared unit ("spec bss", "go gen/bssapi")
// and one for the acknowledgement file; a testcase per change, or one
// "no changes" testcase for a unit without any. An unacknowledged
// breaking change and a stale acknowledgement are failures; a package not
// compared is skipped.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as JUnit XML.
func WriteJUnit(w io.Writer, r *Result) error {
	doc := junitSuites{Name: "check-breaking"}
	index := map[string]int{}
	suite := func(unit string) *junitSuite {
		i, ok := index[unit]
		if !ok {
			i = len(doc.Suites)
			index[unit] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: unit})
		}
		return &doc.Suites[i]
	}
	for _, v := range r.Specs {
		suite("spec " + v)
	}
	for _, p := range r.Packages {
		suite("go " + p)
	}
	for _, c := range r.Changes {
		s := suite(c.Unit)
		tc := junitCase{Classname: classname(c.Unit), Name: c.Text}
		switch st := r.status(c); st {
		case statusBreaking:
			tc.Failure = &junitMessage{Message: "breaking change not acknowledged in " + r.AckFile, Type: "breaking",
				Text: "Fix it, or acknowledge it under \"" + unreleasedHeading + "\" in " + r.AckFile + ":\n- " + c.Line() + "\n  why: ...\n"}
		case statusAcked:
			tc.SystemOut = "acknowledged in " + r.AckFile + ": " + r.Acked[c.Line()].Why
		case statusNotCompared:
			tc.Skipped = &junitMessage{Message: c.Text}
		default:
			tc.SystemOut = st
		}
		s.Cases = append(s.Cases, tc)
	}
	if len(r.Stale) > 0 {
		s := suite("acknowledgements " + r.AckFile)
		for _, a := range r.Stale {
			s.Cases = append(s.Cases, junitCase{Classname: "check-breaking.acknowledgements", Name: a.Line,
				Failure: &junitMessage{Message: "stale acknowledgement", Type: "stale",
					Text: fmt.Sprintf("%s:%d acknowledges a change that does not happen: remove it\n", r.AckFile, a.Pos)}})
		}
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Classname: classname(s.Name), Name: "no changes"})
		}
		for _, c := range s.Cases {
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// classname is "check-breaking.spec.bss", "check-breaking.go.gen/bssapi".
func classname(unit string) string {
	return "check-breaking." + strings.Replace(unit, " ", ".", 1)
}
