package storage

import (
	"context"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"s3://b?endpoint=http://127.0.0.1:9&region=us-east-1", "s3://b?endpoint=http://127.0.0.1:9&region=us-east-1"},
		{"s3://b?endpoint=http://user:secret@127.0.0.1:9", "s3://b?endpoint=http%3A%2F%2F127.0.0.1%3A9"},
		{"s3://user:secret@b", "s3://b"},
		{"file:///srv/data", "file:///srv/data"},
		{"mem://m", "mem://m"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOpenRefusesCredentialsInTheURLWithoutPrintingThem(t *testing.T) {
	for _, u := range []string{
		"s3://b?endpoint=http://user:secret@127.0.0.1:9&region=us-east-1",
		"s3://user:secret@b?region=us-east-1",
		"s3://b/key?endpoint=http://user:secret@127.0.0.1:9",
	} {
		_, err := Open(context.Background(), u)
		if _, _, err2 := OpenURL(context.Background(), u); err2 != nil && err == nil {
			err = err2
		}
		if err == nil {
			t.Errorf("Open(%q) succeeded, want a refusal", u)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "secret") || !strings.Contains(msg, "credentials in the URL") {
			t.Errorf("Open(%q): %q, want a refusal that does not print the secret", u, msg)
		}
	}
}

func TestOpenS3NamesAnUnknownParameter(t *testing.T) {
	_, err := Open(context.Background(), "s3://b?region=us-east-1&endpont=http://127.0.0.1:9")
	if err == nil || !strings.Contains(err.Error(), `"endpont"`) {
		t.Errorf("got %v, want an error naming the parameter endpont", err)
	}
}
