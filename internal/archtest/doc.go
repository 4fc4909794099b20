// Package archtest holds the test that keeps vendorkit's imports running
// one way (see CONTRIBUTING.md). It has no code of its own.
package archtest
