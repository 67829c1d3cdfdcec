package worker

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The fast decoders below read exactly the shapes AppendRequest and
// AppendResponse write, which is what every Overcast driver and worker
// sends. Anything else (another field order, escapes, whitespace) makes
// them report false, and the caller falls back to encoding/json, so they
// change speed, never meaning.

// fastRequest parses {"task":S,["job":S,]"index":N[,"attempt":N][,"deadline_ms":N][,"limit":N]
// [,"storage":S][,"input_key":S][,"output_key":S],"input":RAW}.
func fastRequest(b []byte, r *Request) bool {
	p := parser{b: b}
	if !p.lit(`{"task":`) {
		return false
	}
	var ok bool
	if r.Task, ok = p.str(); !ok {
		return false
	}
	if p.lit(`,"job":`) {
		if r.Job, ok = p.str(); !ok {
			return false
		}
	}
	if !p.lit(`,"index":`) {
		return false
	}
	r.Index = int(p.int())
	if p.lit(`,"attempt":`) {
		r.Attempt = int(p.int())
	}
	if p.lit(`,"deadline_ms":`) {
		r.DeadlineMS = p.int()
	}
	if p.lit(`,"limit":`) {
		r.Limit = int(p.int())
	}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{`,"storage":`, &r.Storage}, {`,"input_key":`, &r.InputKey}, {`,"output_key":`, &r.OutputKey}} {
		if p.lit(f.name) {
			if *f.dst, ok = p.str(); !ok {
				return false
			}
		}
	}
	if p.bad || !p.lit(`,"input":`) || len(p.b) < 2 || p.b[len(p.b)-1] != '}' {
		return false
	}
	in := p.b[:len(p.b)-1]
	if !tight(in) {
		return false
	}
	r.Input = in
	return true
}

// fastResponse parses {["output":RAW,]["error":OBJ,]"stats":{"start_ns":N,"end_ns":N[,"cold":true]
// [,"read_bytes":N][,"written_bytes":N]}}
// for responses with an output; responses with an error take the slow path.
func fastResponse(b []byte, r *Response) bool {
	i := bytes.LastIndex(b, []byte(`,"stats":{"start_ns":`))
	if i < 0 || !bytes.HasPrefix(b, []byte(`{"output":`)) {
		return false
	}
	p := parser{b: b[i+len(`,"stats":{"start_ns":`):]}
	r.Stats.StartNS = p.int()
	if !p.lit(`,"end_ns":`) {
		return false
	}
	r.Stats.EndNS = p.int()
	r.Stats.Cold = p.lit(`,"cold":true`)
	if p.lit(`,"read_bytes":`) {
		r.Stats.ReadBytes = p.int()
	}
	if p.lit(`,"written_bytes":`) {
		r.Stats.WrittenBytes = p.int()
	}
	if p.bad || string(p.b) != "}}" {
		return false
	}
	out := b[len(`{"output":`):i]
	if !tight(out) {
		return false
	}
	r.Output = out
	return true
}

// parser reads a prefix of b at a time; bad records a failed int.
type parser struct {
	b   []byte
	bad bool
}

func (p *parser) lit(s string) bool {
	if len(p.b) >= len(s) && string(p.b[:len(s)]) == s {
		p.b = p.b[len(s):]
		return true
	}
	return false
}

// str reads a JSON string without escapes.
func (p *parser) str() (string, bool) {
	if len(p.b) == 0 || p.b[0] != '"' {
		return "", false
	}
	for i := 1; i < len(p.b); i++ {
		switch c := p.b[i]; {
		case c == '"':
			s := string(p.b[1:i])
			p.b = p.b[i+1:]
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return "", false
		}
	}
	return "", false
}

// int reads a decimal integer; p.bad turns true if there is none.
func (p *parser) int() int64 {
	i := 0
	if i < len(p.b) && p.b[i] == '-' {
		i++
	}
	for i < len(p.b) && p.b[i] >= '0' && p.b[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(string(p.b[:i]), 10, 64)
	if err != nil {
		p.bad = true
		return 0
	}
	p.b = p.b[i:]
	return n
}

// tight reports whether b is valid JSON with no space around it, so that it
// is byte for byte what encoding/json would keep as a RawMessage.
func tight(b []byte) bool {
	if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return false
	}
	return json.Valid(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
