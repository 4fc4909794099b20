// Command check-breaking is the breaking-change gate of vendorkit's specs
// (make check-breaking, make release-specs). It compares each spec in
// specs/ with the released one in specs/released/ (oasdiff), and the Go
// API of the packages under gen/ and client/ with the same packages built
// from the released specs (golang.org/x/exp/apidiff), prints one line per
// change, and fails on a breaking change that specs/BREAKING.md does not
// acknowledge, or on an acknowledgement that matches no change.
//
//	check-breaking -root DIR [-junit FILE]
//	check-breaking -root DIR -release [-date YYYY-MM-DD]
//
// Exit status: 0 ok, 1 the check fails (or -release refused), 2 the check
// could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/tools/internal/breaking"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		o        breaking.Options
		junit    string
		release  bool
		date     string
		packages string
		generate string
	)
	flag.StringVar(&o.Root, "root", ".", "the repository `DIR` (specs/, gen/, client/, the Makefile)")
	flag.StringVar(&junit, "junit", "", "also write the result as JUnit XML to `FILE`")
	flag.BoolVar(&release, "release", false, "move the baseline forward: copy specs/*.yaml to specs/released/ and date the acknowledgements, if the check passes")
	flag.StringVar(&date, "date", time.Now().UTC().Format(time.DateOnly), "the release date -release writes")
	flag.StringVar(&packages, "packages", "./gen/...,./client/...", "comma-separated package `patterns` whose Go API is compared")
	flag.StringVar(&generate, "generate", "make generate", "the `command` that regenerates the code from the specs (run in a copy of the tree)")
	flag.StringVar(&o.Go, "go", "go", "the go `command` the generate step uses (passed as GO=)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "check-breaking: unexpected argument %q\n", flag.Arg(0))
		return 2
	}
	o.Packages = strings.Split(packages, ",")
	o.Generate = strings.Fields(generate)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	var r *breaking.Result
	var err error
	if release {
		r, err = breaking.Release(ctx, o, date)
	} else {
		r, err = breaking.Check(ctx, o)
	}
	if release && err == nil && len(r.Specs) == 0 {
		fmt.Printf("release-specs: there was no baseline; %s/ now holds the current specs\n", r.Baseline)
		return 0
	}
	if r != nil {
		if werr := breaking.WriteText(os.Stdout, r); werr != nil {
			fmt.Fprintf(os.Stderr, "check-breaking: %v\n", werr)
			return 2
		}
		if junit != "" {
			if werr := writeJUnit(junit, r); werr != nil {
				fmt.Fprintf(os.Stderr, "check-breaking: -junit: %v\n", werr)
				return 2
			}
		}
	}
	switch {
	case err != nil && r != nil:
		fmt.Fprintf(os.Stderr, "check-breaking: %v\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(os.Stderr, "check-breaking: %v\n", err)
		return 2
	case release:
		fmt.Printf("release-specs: %s/ now holds the current specs; acknowledged changes, if any, are now under \"## Released %s\" in %s\n", r.Baseline, date, r.AckFile)
	}
	fmt.Printf("check-breaking: took %v\n", time.Since(start).Round(100*time.Millisecond))
	if r.Failed() {
		return 1
	}
	return 0
}

func writeJUnit(path string, r *breaking.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := breaking.WriteJUnit(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
