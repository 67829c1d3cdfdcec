//go:build !unix

package cli

// freeSpace is unknown here: the disk is not checked.
func freeSpace(string) (uint64, bool) { return 0, false }
