package openwhisk

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeActivation checks that decodeActivation, when it decodes a
// record, decodes it exactly as json.Unmarshal does.
func FuzzDecodeActivation(f *testing.F) {
	for _, s := range []string{
		`{"activationId":"a1","namespace":"guest","name":"act","version":"0.0.1","subject":"guest","publish":false,"start":1700000000000,"end":1700000001000,"duration":1000,"annotations":[{"key":"path","value":"guest/act"},{"key":"waitTime","value":3},{"key":"kind","value":"go:1.22"},{"key":"timeout","value":false},{"key":"limits","value":{"concurrency":1,"logs":10,"memory":256,"timeout":60000}},{"key":"initTime","value":12}],"logs":[],"response":{"status":"success","statusCode":0,"success":true,"result":{"output":"e30="},"size":18}}`,
		` { "activationId" : "x" , "response" : null , "annotations" : null } `,
		`{"activationId":"x","response":{"result":null,"success":false,"status":"application error"},"annotations":[]}`,
		`{"ActivationId":"x"}`,
		`{"activationId":"x\u0041","start":1.5}`,
		`{"start":-0,"end":1e3,"duration":"5","x":[1,{"a":"]}"},true,null,"\""]}`,
		`{"annotations":[{"key":"k","Value":1}],"response":{"result":[1,2]}}`,
		`{"annotations":[{"key":"a","value":1}],"annotations":null}`,
		`{"name":"caf\u00e9","namespace":"café"}`,
		`[]`, `null`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		var fast Activation
		if !decodeActivation(raw, &fast) {
			return
		}
		var slow Activation
		if err := json.Unmarshal(raw, &slow); err != nil {
			t.Fatalf("decodeActivation took %q, json.Unmarshal refuses it: %v", raw, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decodeActivation(%q) = %+v (response %+v), json.Unmarshal %+v (response %+v)", raw, fast, fast.Response, slow, slow.Response)
		}
	})
}

// TestDecodeActivationPlain checks that the records the sim lists take the
// fast path.
func TestDecodeActivationPlain(t *testing.T) {
	raw := []byte(`{"activationId":"a1","namespace":"guest","name":"act","start":1,"end":2,"duration":1,"annotations":[{"key":"limits","value":{"memory":256}}],"response":{"status":"success","statusCode":0,"success":true,"result":{"output":"e30="}}}`)
	var a Activation
	if !decodeActivation(raw, &a) {
		t.Fatalf("decodeActivation refused a plain record")
	}
	if a.ActivationID != "a1" || a.Response == nil || string(a.Response.Result) != `{"output":"e30="}` || annotation(a.Annotations, "limits") != `{"memory":256}` {
		t.Fatalf("decoded %+v", a)
	}
}
