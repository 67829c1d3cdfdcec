package primes

// The sieve packs numbers with a mod-30 wheel: byte b of a sieve buffer
// stands for the eight numbers 30*b + residues[j], j = 0..7, that are
// coprime to 30, and bit j of the byte is set while 30*b + residues[j] may
// still be prime.

// residues are the eight residues modulo 30 that are coprime to 30, in
// increasing order. Bit j of a sieve byte belongs to residues[j].
var residues = [8]int{1, 7, 11, 13, 17, 19, 23, 29}

// wheelGap[j] is the distance from residues[j] to the next residue coprime
// to 30 (wrapping from 29 to 31).
var wheelGap = [8]int{6, 4, 2, 4, 2, 4, 6, 2}

// step describes one wheel step of a sieving prime p = 30*k + residues[ri]
// whose current multiple is p*q with q%30 == residues[wi]: clear bit mask
// of the current byte, then move to the byte k*gap + carry further on.
type step struct {
	mask  byte // the single bit of the current multiple
	gap   uint8
	carry uint8
}

var (
	// residueIndex[r] is the index of r in residues, or -1 when r is not
	// coprime to 30.
	residueIndex [30]int8
	// steps[ri][wi] is the wheel step for prime residue index ri at
	// multiplier residue index wi.
	steps [8][8]step
	// keepFrom[x] keeps the bits of numbers 30*b + r with r >= x.
	keepFrom [31]byte
)

func init() {
	for r := range residueIndex {
		residueIndex[r] = -1
	}
	for j, r := range residues {
		residueIndex[r] = int8(j)
	}
	for ri, r := range residues {
		for wi, s := range residues {
			next := s + wheelGap[wi]
			steps[ri][wi] = step{
				mask:  bitOf(r * s),
				gap:   uint8(wheelGap[wi]),
				carry: uint8(r*next/30 - r*s/30),
			}
		}
	}
	for x := range keepFrom {
		for j, r := range residues {
			if r >= x {
				keepFrom[x] |= 1 << j
			}
		}
	}
}

// bitOf returns the sieve bit of a number n that is coprime to 30.
func bitOf(n int) byte {
	return 1 << residueIndex[n%30]
}
