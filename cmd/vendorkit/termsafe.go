package main

import (
	"io"
	"os"
	"regexp"
	"strings"
)

// Server text (reason phrases, bodies, descriptions inside errors) goes
// through termSafe before it reaches a terminal: an escape sequence in a
// hostile vendor's answer could otherwise rewrite the screen, set the
// window title or worse.

// escapeSeq matches ANSI/ECMA-48 escape sequences: CSI (ESC [ … final),
// OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences, and their C1
// forms (U+009B CSI, U+009D OSC).
var escapeSeq = regexp.MustCompile("(?:\x1b\\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\x1b\\]|\u009d)[^\x07\x1b\u009c]*(?:\x07|\x1b\\\\|\u009c)?|\x1b[@-_]")

// termSafe removes escape sequences and every other control character but
// newline and tab (C0, DEL and C1), from s.
func termSafe(s string) string {
	s = escapeSeq.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && isControl(r) {
			return -1
		}
		return r
	}, s)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*serializedWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
