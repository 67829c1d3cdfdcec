package openwhisk

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/driver"
)

// hijack returns an invoke handler that takes over the connection, writes
// answer (raw bytes of an HTTP answer, possibly cut short) and closes it;
// with reset, the close sends a TCP reset instead of a FIN.
func hijack(t *testing.T, answer string, reset bool) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		// The whole request is read first: a close with unread data
		// would be a reset.
		io.Copy(io.Discard, r.Body)
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		defer c.Close()
		if answer != "" {
			c.Write([]byte(answer))
		}
		if tc, ok := c.(*net.TCPConn); ok && reset {
			tc.SetLinger(0)
		}
		return true
	}
}

// TestConnectionDroppedNamesTheHost drops an invocation's connection at
// every point of the answer, on a real server on 127.0.0.1: each error is
// Unreachable (the job waits for the platform instead of failing the
// task), and its gist, the form outage notices print, names the API host
// whatever the transport said (EOF, unexpected EOF, reset, refused).
func TestConnectionDroppedNamesTheHost(t *testing.T) {
	const body = `{"activationId":"a1","response":{"status":"success","success":true,"result":{}}}`
	tests := []struct {
		name   string
		answer string
		reset  bool
		want   string // in the gist besides the host
	}{
		{"closed before answering", "", false, "closed the connection before answering"},
		{"closed in the status line", "HTTP/1.1 200", false, "closed the connection mid-answer"},
		{"closed in the headers", "HTTP/1.1 200 OK\r\nContent-Type: application/js", false, "closed the connection mid-answer"},
		{"closed in the body", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + body[:20], false, "closed the connection mid-answer"},
		{"closed in a chunked body", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + body[:20], false, "closed the connection mid-answer"},
		{"reset before answering", "", true, "connection reset by"},
		{"reset in the body", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + body[:20], true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.invoke = hijack(t, tt.answer, tt.reset)
			d, err := f.open(t, Options{Collect: CollectBlocking})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err = d.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
			checkUnreachable(t, d, err, strings.TrimPrefix(f.srv.URL, "http://"), tt.want)
		})
	}
	t.Run("refused", func(t *testing.T) {
		f := newFake(t)
		d, err := f.open(t, Options{Collect: CollectBlocking})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		f.srv.Close()
		d.c.Close() // no idle connection of Open's: the next request dials
		_, err = d.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
		checkUnreachable(t, d, err, strings.TrimPrefix(f.srv.URL, "http://"), "connection refused to")
	})
}

// checkUnreachable checks that err is Unreachable and that its gist names
// host and says want, on one line without the credentials.
func checkUnreachable(t *testing.T, d *Driver, err error, host, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("Invoke succeeded on a dropped connection")
	}
	if c := d.ErrorCode(err); c != driver.Unreachable {
		t.Errorf("code %v, want unreachable (err %v)", c, err)
	}
	g := overcast.Gist(err)
	if !strings.Contains(g, host) || !strings.Contains(g, want) {
		t.Errorf("gist %q does not name the API host %s and say %q (err %v)", g, host, want, err)
	}
	if strings.Contains(err.Error(), "secretKEY") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: want one line without the credentials", err)
	}
}

// TestOpenWhereNothingListens opens the driver on a closed port of
// 127.0.0.1: one line that names the address, says nothing listens there
// and where the API host is set; the sim is named only for its own
// address.
func TestOpenWhereNothingListens(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = openOn("http://"+addr, t)
	want := "nothing is listening at " + addr + " (connection refused); check the API host (--apihost, APIHOST in ~/.wskprops, WHISK_APIHOST)"
	if err == nil || err.Error() != want {
		t.Fatalf("Open on a closed port: %v\nwant %s", err, want)
	}
	if c := errorCode(err); c != driver.Unreachable {
		t.Errorf("code %v, want unreachable", c)
	}
	for host, sim := range map[string]bool{SimAddr: true, "localhost:3233": true, "127.0.0.1:3234": false,
		"10.0.0.1:3233": false, "whisk.example:3233": false, addr: strings.HasSuffix(addr, ":3233")} {
		if got := isSimAddr(host); got != sim {
			t.Errorf("isSimAddr(%q) = %v, want %v", host, got, sim)
		}
	}
}
