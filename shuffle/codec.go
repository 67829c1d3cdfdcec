package shuffle

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Codec encodes keys or values of type T to bytes and back. Keys are
// compared as T, not as bytes.
type Codec[T any] interface {
	Append(dst []byte, v T) []byte
	Decode(b []byte) (T, error)
}

// DefaultCodec returns the codec Run uses for T when the job names none:
// raw bytes for string and []byte, varints for integers, IEEE 754 bits
// for floats and JSON for anything else.
func DefaultCodec[T any]() Codec[T] {
	var zero T
	var c any
	switch any(zero).(type) {
	case string:
		c = stringCodec{}
	case []byte:
		c = bytesCodec{}
	case int64:
		c = intCodec[int64]{}
	case int:
		c = intCodec[int]{}
	case int32:
		c = intCodec[int32]{}
	case uint64:
		c = uintCodec[uint64]{}
	case uint32:
		c = uintCodec[uint32]{}
	case float64:
		c = floatCodec{}
	default:
		return jsonCodec[T]{}
	}
	return c.(Codec[T])
}

type stringCodec struct{}

func (stringCodec) Append(dst []byte, v string) []byte { return append(dst, v...) }
func (stringCodec) Decode(b []byte) (string, error)    { return string(b), nil }

type bytesCodec struct{}

func (bytesCodec) Append(dst []byte, v []byte) []byte { return append(dst, v...) }
func (bytesCodec) Decode(b []byte) ([]byte, error)    { return append([]byte(nil), b...), nil }

type intCodec[T int | int32 | int64] struct{}

func (intCodec[T]) Append(dst []byte, v T) []byte { return binary.AppendVarint(dst, int64(v)) }
func (intCodec[T]) Decode(b []byte) (T, error) {
	v, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("bad varint of %d bytes", len(b))
	}
	return T(v), nil
}

type uintCodec[T uint32 | uint64] struct{}

func (uintCodec[T]) Append(dst []byte, v T) []byte { return binary.AppendUvarint(dst, uint64(v)) }
func (uintCodec[T]) Decode(b []byte) (T, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("bad uvarint of %d bytes", len(b))
	}
	return T(v), nil
}

type floatCodec struct{}

func (floatCodec) Append(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}
func (floatCodec) Decode(b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("float of %d bytes, want 8", len(b))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Append(dst []byte, v T) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("shuffle: encode %T: %v", v, err))
	}
	return append(dst, b...)
}
func (jsonCodec[T]) Decode(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}
