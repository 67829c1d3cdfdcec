package sortbench

import (
	"fmt"
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// Checksum summarizes a multiset of records independently of their order,
// as valsort's does: the record count and the sum modulo 2¹²⁸ of a 128-bit
// hash of each record (two seeded 64-bit xxhashes). A record changed,
// missing or repeated changes it, except with probability about 2⁻¹²⁸.
type Checksum struct {
	Records uint64 `json:"records"`
	Hi      uint64 `json:"hi"`
	Lo      uint64 `json:"lo"`
}

const hashSeed = 0x736f727462656e63 // any fixed value other than xxhash's own 0

// Add adds every record of buf, whose length is a multiple of RecordSize.
func (c *Checksum) Add(buf []byte) {
	d := xxhash.NewWithSeed(hashSeed)
	for off := 0; off+RecordSize <= len(buf); off += RecordSize {
		rec := buf[off : off+RecordSize]
		d.ResetWithSeed(hashSeed)
		d.Write(rec)
		c.add(xxhash.Sum64(rec), d.Sum64())
		c.Records++
	}
}

func (c *Checksum) add(hi, lo uint64) {
	var carry uint64
	c.Lo, carry = bits.Add64(c.Lo, lo, 0)
	c.Hi += hi + carry
}

// Merge adds o's records to c.
func (c *Checksum) Merge(o Checksum) {
	c.add(o.Hi, o.Lo)
	c.Records += o.Records
}

// String shows the sum as valsort does, in hex.
func (c Checksum) String() string { return fmt.Sprintf("%016x%016x", c.Hi, c.Lo) }
