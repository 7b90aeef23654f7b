package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequestLogWritesOneLinePerRequest(t *testing.T) {
	var buf bytes.Buffer
	h := WithRequestLog(NewHandler(DefaultFlightPlan, Info{}), NewLogger(&buf))
	for _, path := range []string{"/healthz", "/nowhere"} {
		req := httptest.NewRequest("GET", path, nil)
		if path == "/healthz" {
			req.Header.Set("X-Request-Id", "req-1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id in the answer", path)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var first, second map[string]interface{}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["service"] != "delivery" || first["path"] != "/healthz" || first["status"] != float64(200) || first["requestId"] != "req-1" {
		t.Errorf("first line: %v", first)
	}
	if second["status"] != float64(404) || second["requestId"] == "" {
		t.Errorf("second line: %v", second)
	}
}

// Serve must finish a request that is in flight when the context ends, and
// stop accepting new connections meanwhile.
func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	entered := make(chan struct{})
	release := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, handler, 5*time.Second) }()

	answered := make(chan string, 1)
	go func() {
		res, err := http.Get(addr + "/slow")
		if err != nil {
			answered <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answered <- string(b)
	}()
	<-entered
	cancel()

	// Give Shutdown a moment to close the listener, then check it did.
	deadline := time.Now().Add(2 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	if got := <-answered; got != "done" {
		t.Fatalf("in-flight request: %s", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the last request finished")
	}
}

func TestServeGivesUpAtTheDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, handler, 100*time.Millisecond) }()
	go func() { _, _ = http.Get("http://" + ln.Addr().String() + "/stuck") }()
	<-entered
	cancel()
	select {
	case err := <-served:
		if err != context.DeadlineExceeded {
			t.Fatalf("Serve = %v, want %v", err, context.DeadlineExceeded)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up")
	}
}
