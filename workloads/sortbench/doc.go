// Package sortbench is the sort benchmark's workload: 100-byte records
// with 10-byte keys, generated as gensort generates them, sorted by a
// range-partitioned shuffle, and checked as valsort checks them.
//
// Records are gensort's binary (default) records: a 10-byte key taken
// from a 128-bit linear congruential generator, the bytes 00 11, the
// record number as 32 uppercase hex digits, 88 99 AA BB, 48 bytes of hex
// filler and CC DD EE FF. Record n of a file depends only on n, so any
// range of a data set can be generated alone ("gensort -b N"), and the
// generator's output is byte for byte gensort's.
//
// A data set is one object or every object under a prefix, read in key
// order as one stream of records; its size must be a multiple of 100.
package sortbench
