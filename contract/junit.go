package contract

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML, the subset CI systems (Jenkins, GitLab, GitHub Actions
// reporters) read: one testsuite per vendor ("vendorkit/<vendor>"), one
// testcase per check (classname "vendorkit.<vendor>", name the check).

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes results as JUnit XML: a testsuite per vendor, in the
// order the vendors first appear, a testcase per result. Failures carry
// the message as the message attribute and expected, got and the spec
// operation as text; skips their reason; passes with a note a system-out.
// The results are written as given (Run has already scrubbed them).
func WriteJUnit(w io.Writer, results []Result) error {
	return writeJUnit(w, results, nil)
}

// writeJUnit is WriteJUnit; drift, if set, adds to each vendor's suite
// (see WriteJUnitDrift).
func writeJUnit(w io.Writer, results []Result, drift func(*junitSuites)) error {
	doc := junitSuites{Name: "vendorkit contract"}
	index := map[string]int{}
	var total time.Duration
	for _, r := range results {
		i, ok := index[r.Vendor]
		if !ok {
			i = len(doc.Suites)
			index[r.Vendor] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: "vendorkit/" + r.Vendor})
		}
		s := &doc.Suites[i]
		c := junitCase{Classname: "vendorkit." + r.Vendor, Name: r.Check, Time: seconds(r.Duration)}
		switch r.Status {
		case Fail:
			var text strings.Builder
			fmt.Fprintf(&text, "expected: %s\ngot: %s\n", r.Expected, r.Got)
			if r.Operation != "" {
				fmt.Fprintf(&text, "spec: %s\n", r.Operation)
			}
			c.Failure = &junitMessage{Message: r.Message, Type: "contract", Text: text.String()}
			s.Failures++
			doc.Failures++
		case Skip:
			c.Skipped = &junitMessage{Message: r.Message}
			s.Skipped++
			doc.Skipped++
		default:
			if r.Message != "" {
				c.SystemOut = r.Message
			}
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		doc.Tests++
		total += r.Duration
	}
	for i := range doc.Suites {
		var d time.Duration
		for _, r := range results {
			if "vendorkit/"+r.Vendor == doc.Suites[i].Name {
				d += r.Duration
			}
		}
		doc.Suites[i].Time = seconds(d)
	}
	doc.Time = seconds(total)
	if drift != nil {
		drift(&doc)
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
