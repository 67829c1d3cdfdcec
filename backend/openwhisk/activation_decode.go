package openwhisk

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeActivation decodes one activation record the way json.Unmarshal
// would, without reflection, for the plain records OpenWhisk and the sim
// list: raw must be valid JSON. It reports false, leaving a to be decoded
// by json.Unmarshal, on anything it does not handle (escaped strings,
// fractional or null numbers, keys differing from the fields' names only
// in case, nested unknown shapes it cannot copy).
func decodeActivation(raw []byte, a *Activation) bool {
	p := scan{b: raw}
	var out Activation
	if !p.open('{') {
		return false
	}
	for more := p.close('}'); more; {
		key, ok := p.key()
		if !ok || !p.activationField(key, &out) {
			return false
		}
		if more, ok = p.next('}'); !ok {
			return false
		}
	}
	p.space()
	if p.i != len(p.b) {
		return false
	}
	*a = out
	return true
}

// activationField reads the value of the record's field key.
func (p *scan) activationField(key []byte, out *Activation) bool {
	switch string(key) {
	case "activationId":
		return p.str(&out.ActivationID)
	case "namespace":
		return p.str(&out.Namespace)
	case "name":
		return p.str(&out.Name)
	case "start":
		return p.int(&out.Start)
	case "end":
		return p.int(&out.End)
	case "duration":
		return p.int(&out.Duration)
	case "annotations":
		return p.annotations(&out.Annotations)
	case "response":
		return p.response(out)
	}
	return p.unknown(key, "activationId", "namespace", "name", "start", "end", "duration", "annotations", "response")
}

// scan reads valid JSON from b at i.
type scan struct {
	b []byte
	i int
}

func (p *scan) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// peek skips space and returns the next byte, 0 at the end.
func (p *scan) peek() byte {
	p.space()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// open reads the opening bracket c.
func (p *scan) open(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// close reads the closing bracket c of an empty object or array and
// reports whether there are members to read instead.
func (p *scan) close(c byte) bool {
	if p.peek() == c {
		p.i++
		return false
	}
	return true
}

// key reads an object's key and its colon; the key is p's bytes.
func (p *scan) key() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	v := p.b[p.i+1:]
	end := bytes.IndexByte(v, '"')
	if end < 0 || bytes.IndexByte(v[:end], '\\') >= 0 || !utf8.Valid(v[:end]) {
		return nil, false
	}
	p.i += end + 2
	if p.peek() != ':' {
		return nil, false
	}
	p.i++
	return v[:end], true
}

// next reads the comma before another member, or the closing bracket c;
// it reports whether another member follows.
func (p *scan) next(c byte) (more, ok bool) {
	switch p.peek() {
	case ',':
		p.i++
		return true, true
	case c:
		p.i++
		return false, true
	}
	return false, false
}

// str reads a string without escapes.
func (p *scan) str(s *string) bool {
	if p.peek() != '"' {
		return false
	}
	v := p.b[p.i+1:]
	end := bytes.IndexByte(v, '"')
	if end < 0 || bytes.IndexByte(v[:end], '\\') >= 0 || !utf8.Valid(v[:end]) {
		return false
	}
	*s = string(v[:end])
	p.i += end + 2
	return true
}

// int reads an integer.
func (p *scan) int(n *int64) bool {
	p.space()
	j := p.i
	for j < len(p.b) && (p.b[j] == '-' || p.b[j] >= '0' && p.b[j] <= '9') {
		j++
	}
	v, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil || j < len(p.b) && (p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		return false
	}
	*n = v
	p.i = j
	return true
}

// value skips one value and returns a copy of its bytes.
func (p *scan) value() ([]byte, bool) {
	p.space()
	start := p.i
	if !p.skip() {
		return nil, false
	}
	return bytes.Clone(p.b[start:p.i]), true
}

// skip skips one value of valid JSON.
func (p *scan) skip() bool {
	p.space()
	depth := 0
	for p.i < len(p.b) {
		switch c := p.b[p.i]; c {
		case '"':
			p.i++
			for p.i < len(p.b) && p.b[p.i] != '"' {
				if p.b[p.i] == '\\' {
					p.i++
				}
				p.i++
			}
			p.i++
		case '{', '[':
			depth++
			p.i++
		case '}', ']':
			if depth == 0 {
				return false
			}
			depth--
			p.i++
		case ',', ':':
			if depth == 0 {
				return false
			}
			p.i++
		default:
			if depth == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				return true
			}
			p.i++
			if depth == 0 && (p.i == len(p.b) || strings.IndexByte(",}] \t\n\r", p.b[p.i]) >= 0) {
				return true // the end of a number or literal
			}
			continue
		}
		if depth == 0 {
			return p.i <= len(p.b)
		}
	}
	return false
}

// unknown skips the value of a field the record does not keep, refusing
// keys that json.Unmarshal would match to a field case-insensitively.
func (p *scan) unknown(key []byte, fields ...string) bool {
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return false
		}
	}
	return p.skip()
}

// annotations reads the annotations array.
func (p *scan) annotations(kvs *[]KeyValue) bool {
	if p.peek() == 'n' {
		*kvs = nil
		return p.skip()
	}
	if !p.open('[') {
		return false
	}
	out := make([]KeyValue, 0, 8)
	for more := p.close(']'); more; {
		var kv KeyValue
		if !p.keyValue(&kv) {
			return false
		}
		out = append(out, kv)
		var ok bool
		if more, ok = p.next(']'); !ok {
			return false
		}
	}
	*kvs = out
	return true
}

// keyValue reads one annotation.
func (p *scan) keyValue(kv *KeyValue) bool {
	if !p.open('{') {
		return false
	}
	for more := p.close('}'); more; {
		key, ok := p.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "key":
			ok = p.str(&kv.Key)
		case "value":
			kv.Value, ok = p.value()
		default:
			ok = p.unknown(key, "key", "value")
		}
		if !ok {
			return false
		}
		if more, ok = p.next('}'); !ok {
			return false
		}
	}
	return true
}

// response reads the response object into a.Response; null leaves it nil.
func (p *scan) response(a *Activation) bool {
	if p.peek() == 'n' {
		a.Response = nil
		return p.skip()
	}
	if a.Response == nil {
		a.Response = &struct {
			Status  string          `json:"status"`
			Success bool            `json:"success"`
			Result  json.RawMessage `json:"result,omitempty"`
		}{}
	}
	r := a.Response
	if !p.open('{') {
		return false
	}
	for more := p.close('}'); more; {
		key, ok := p.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "status":
			ok = p.str(&r.Status)
		case "success":
			ok = p.bool(&r.Success)
		case "result":
			r.Result, ok = p.value()
		default:
			ok = p.unknown(key, "status", "success", "result")
		}
		if !ok {
			return false
		}
		if more, ok = p.next('}'); !ok {
			return false
		}
	}
	return true
}

// bool reads true or false.
func (p *scan) bool(v *bool) bool {
	p.space()
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		*v, p.i = true, p.i+4
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		*v, p.i = false, p.i+5
	default:
		return false
	}
	return true
}
