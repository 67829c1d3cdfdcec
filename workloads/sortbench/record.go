package sortbench

import (
	"bytes"
	"math/bits"
)

// RecordSize and KeySize are the sort benchmark's record and key lengths.
const (
	RecordSize = 100
	KeySize    = 10
)

// u128 is an unsigned 128-bit number.
type u128 struct{ hi, lo uint64 }

func (a u128) add(b u128) u128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	return u128{a.hi + b.hi + carry, lo}
}

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{hi + a.hi*b.lo + a.lo*b.hi, lo}
}

// The generator is gensort's: X(n+1) = a·X(n) + c mod 2¹²⁸, X(0) = 0.
var (
	lcgA = u128{0x2360ed051fc65da4, 0x4385df649fccf645}
	lcgC = u128{0x4a696d4772617952, 0x4950202020202001}
)

// skipAhead returns X(n) by composing the affine step with itself,
// squaring: O(log n) multiplications.
func skipAhead(n uint64) u128 {
	mulN, addN := u128{0, 1}, u128{} // the map x -> mulN·x + addN, the identity
	mulP, addP := lcgA, lcgC         // the map of 2^i steps
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			mulN, addN = mulN.mul(mulP), addN.mul(mulP).add(addP)
		}
		mulP, addP = mulP.mul(mulP), addP.mul(mulP).add(addP)
	}
	return addN // X(0) = 0
}

func next(x u128) u128 { return x.mul(lcgA).add(lcgC) }

const hexDigits = "0123456789ABCDEF"

// genRecord writes record number n, made from the generator value r, into
// rec as gensort's binary mode does.
func genRecord(rec []byte, r u128, n uint64) {
	_ = rec[RecordSize-1]
	for i := range 8 {
		rec[i] = byte(r.hi >> (56 - 8*i))
	}
	rec[8], rec[9] = byte(r.lo>>56), byte(r.lo>>48)
	rec[10], rec[11] = 0x00, 0x11
	for i := range 16 {
		rec[12+i] = '0' // the record number's high 64 bits
		rec[28+i] = hexDigits[(n>>(60-4*i))&0xf]
	}
	rec[44], rec[45], rec[46], rec[47] = 0x88, 0x99, 0xaa, 0xbb
	for i := range 12 {
		d := hexDigits[(r.lo>>(44-4*i))&0xf]
		rec[48+4*i], rec[49+4*i], rec[50+4*i], rec[51+4*i] = d, d, d, d
	}
	rec[96], rec[97], rec[98], rec[99] = 0xcc, 0xdd, 0xee, 0xff
}

// Records fills buf, whose length must be a multiple of RecordSize, with
// the records numbered from first on.
func Records(buf []byte, first uint64) {
	r := skipAhead(first)
	for off, n := 0, first; off < len(buf); off, n = off+RecordSize, n+1 {
		r = next(r)
		genRecord(buf[off:off+RecordSize], r, n)
	}
}

// Less reports whether record a's key sorts before record b's.
func Less(a, b []byte) bool { return bytes.Compare(a[:KeySize], b[:KeySize]) < 0 }
