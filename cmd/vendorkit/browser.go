package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// browserOpener is what login opens the sign-in page with: openBrowser,
// or a test's stand-in.
var browserOpener = openBrowser

// openBrowser asks the desktop to show url: $BROWSER when set (the
// convention of git, gh and Python's webbrowser: a command, given the URL
// as its last argument), else xdg-open (Linux, BSDs), open (macOS) or
// rundll32's URL handler (Windows). It returns once the opener started;
// it does not wait for the browser, and the opener's own output is
// discarded (it would mix with ours).
//
// Three exec calls do not justify a dependency: github.com/pkg/browser
// does the same, and also copies the opener's stdout into ours.
func openBrowser(url string) error {
	var argv []string
	if b := strings.Fields(os.Getenv("BROWSER")); len(b) > 0 {
		argv = append(b, url)
	} else {
		switch runtime.GOOS {
		case "darwin":
			argv = []string{"open", url}
		case "windows":
			argv = []string{"rundll32", "url.dll,FileProtocolHandler", url}
		default:
			argv = []string{"xdg-open", url}
		}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return errors.New("no browser opener found (" + argv[0] + "; set BROWSER)")
	}
	cmd := exec.Command(path, argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap it whenever it exits; the process does not wait for it.
	go func() { _ = cmd.Wait() }()
	return nil
}
