package worker

import (
	"encoding/json"
	"strconv"
)

// AppendRequest appends the wire form of r to dst, faster than
// encoding/json and with the input last; r.Input must be valid JSON.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, `{"task":`...)
	dst = appendString(dst, r.Task)
	if r.Job != "" {
		dst = append(dst, `,"job":`...)
		dst = appendString(dst, r.Job)
	}
	dst = append(dst, `,"index":`...)
	dst = strconv.AppendInt(dst, int64(r.Index), 10)
	if r.Attempt != 0 {
		dst = append(dst, `,"attempt":`...)
		dst = strconv.AppendInt(dst, int64(r.Attempt), 10)
	}
	if r.DeadlineMS != 0 {
		dst = append(dst, `,"deadline_ms":`...)
		dst = strconv.AppendInt(dst, r.DeadlineMS, 10)
	}
	if r.Limit != 0 {
		dst = append(dst, `,"limit":`...)
		dst = strconv.AppendInt(dst, int64(r.Limit), 10)
	}
	dst = appendField(dst, `,"storage":`, r.Storage)
	dst = appendField(dst, `,"input_key":`, r.InputKey)
	dst = appendField(dst, `,"output_key":`, r.OutputKey)
	// The input comes last, so that a reader can take it without scanning.
	dst = append(dst, `,"input":`...)
	if len(r.Input) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, r.Input...)
	}
	return append(dst, '}')
}

// AppendResponse appends the wire form of r to dst; r.Output must be valid
// JSON when set.
func AppendResponse(dst []byte, r *Response) []byte {
	dst = append(dst, '{')
	if r.Output != nil {
		dst = append(dst, `"output":`...)
		dst = append(dst, r.Output...)
		dst = append(dst, ',')
	}
	if r.OutputKey != "" {
		dst = append(dst, `"output_key":`...)
		dst = appendString(dst, r.OutputKey)
		dst = append(dst, ',')
	}
	if r.Error != nil {
		b, err := json.Marshal(r.Error)
		if err != nil { // a TaskError of strings always encodes
			panic(err)
		}
		dst = append(dst, `"error":`...)
		dst = append(dst, b...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"stats":{"start_ns":`...)
	dst = strconv.AppendInt(dst, r.Stats.StartNS, 10)
	dst = append(dst, `,"end_ns":`...)
	dst = strconv.AppendInt(dst, r.Stats.EndNS, 10)
	if r.Stats.Cold {
		dst = append(dst, `,"cold":true`...)
	}
	if r.Stats.ReadBytes != 0 {
		dst = append(dst, `,"read_bytes":`...)
		dst = strconv.AppendInt(dst, r.Stats.ReadBytes, 10)
	}
	if r.Stats.WrittenBytes != 0 {
		dst = append(dst, `,"written_bytes":`...)
		dst = strconv.AppendInt(dst, r.Stats.WrittenBytes, 10)
	}
	return append(dst, "}}"...)
}

// appendString appends s as a JSON string. Plain printable ASCII is copied;
// anything else goes through encoding/json, which escapes it and replaces
// invalid UTF-8.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendField appends name and s as a JSON string when s is not empty. A
// URL's '&' is kept as it is, not escaped as encoding/json would, so that
// the fast decoder reads it.
func appendField(dst []byte, name, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, name...)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
