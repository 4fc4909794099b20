//go:build !unix

package filestore_test

func umask(m int) int { return 0 }
