package shuffle

import (
	"encoding/binary"
	"math/bits"
)

// The multipliers of keyHash, odd 64-bit constants with their bits
// spread evenly (the wyhash family's).
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
)

// keyHash hashes an Unordered job's key encoding, 8 or 16 bytes per step
// where FNV-1a takes one: mappers order and partition their pairs by it
// and reducers recompute it, so it is the same in every process and on
// every platform (unlike maphash), and changing it changes both sides.
// Every byte and the length enter it, and each step ends in a 64×64 to
// 128-bit multiply whose halves are folded, so that its low bits (the
// partition) and high bits (the order) both depend on every input bit.
// It is no defence against keys chosen to collide; those cost time (keys
// of one hash are compared), never a wrong result.
func keyHash(b []byte) uint64 {
	h := hashK0 ^ uint64(len(b))
	for len(b) > 16 {
		h = hashMix(binary.LittleEndian.Uint64(b)^hashK1, binary.LittleEndian.Uint64(b[8:])^h)
		b = b[16:]
	}
	var x, y uint64
	switch n := len(b); {
	case n > 8:
		x, y = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		x, y = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n/2])<<8 | uint64(b[n-1])
	}
	return hashMix(hashK2^uint64(len(b)), hashMix(x^hashK1, y^h))
}

// hashMix multiplies a by b to 128 bits and folds the halves.
func hashMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
