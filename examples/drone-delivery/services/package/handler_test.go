package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(Info{Service: "package", Version: "3.1.0", Revision: "def"}))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string) (int, http.Header, map[string]interface{}) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var decoded map[string]interface{}
	if err := json.NewDecoder(res.Body).Decode(&decoded); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v", method, url, err)
	}
	return res.StatusCode, res.Header, decoded
}

func TestHealthAndVersion(t *testing.T) {
	srv := newTestServer(t)
	if status, _, body := do(t, "GET", srv.URL+"/healthz", ""); status != 200 || body["status"] != "ok" {
		t.Fatalf("healthz: %d %v", status, body)
	}
	status, _, body := do(t, "GET", srv.URL+"/version", "")
	if status != 200 || body["service"] != "package" || body["version"] != "3.1.0" || body["revision"] != "def" {
		t.Fatalf("version: %d %v", status, body)
	}
}

func TestCreateAndGet(t *testing.T) {
	srv := newTestServer(t)
	body := `{"id":"pkg-d-1","owner":"contoso","size":"medium","weightKg":3.5}`
	status, header, created := do(t, "POST", srv.URL+"/packages", body)
	if status != http.StatusCreated || created["id"] != "pkg-d-1" || created["weightKg"] != 3.5 || created["createdAt"] == "" {
		t.Fatalf("create: %d %v", status, created)
	}
	if header.Get("Location") != "/packages/pkg-d-1" {
		t.Errorf("Location = %q", header.Get("Location"))
	}
	if status, _, got := do(t, "GET", srv.URL+"/packages/pkg-d-1", ""); status != 200 || got["size"] != "medium" || got["owner"] != "contoso" {
		t.Fatalf("get: %d %v", status, got)
	}
	if status, _, again := do(t, "POST", srv.URL+"/packages", body); status != http.StatusOK || again["createdAt"] != created["createdAt"] {
		t.Fatalf("retried create: %d %v", status, again)
	}
	status, _, conflict := do(t, "POST", srv.URL+"/packages", `{"id":"pkg-d-1","owner":"contoso","size":"large","weightKg":3.5}`)
	if status != http.StatusConflict || !strings.Contains(conflict["error"].(string), "already exists with different contents") {
		t.Fatalf("conflict: %d %v", status, conflict)
	}
	status, header, generated := do(t, "POST", srv.URL+"/packages", `{"size":"small","weightKg":0.2}`)
	id, _ := generated["id"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(id, "pkg-") || header.Get("Location") != "/packages/"+id {
		t.Fatalf("generated id: %d %v", status, generated)
	}
}

func TestCreateRejections(t *testing.T) {
	srv := newTestServer(t)
	cases := []struct {
		name, body string
		status     int
		contains   string
	}{
		{"not JSON", `nope`, 400, "not a valid package"},
		{"array", `[]`, 400, "not a valid package"},
		{"trailing data", `{"size":"small","weightKg":1} x`, 400, "exactly one JSON object"},
		{"invalid fields", `{"size":"giant","weightKg":-1}`, 400, "invalid package: size must be one of small, medium, large; weightKg must be greater than 0"},
		{"too big", `{"owner":"` + strings.Repeat("y", 70000) + `"}`, 413, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := do(t, "POST", srv.URL+"/packages", c.body)
			msg, _ := body["error"].(string)
			if status != c.status || !strings.Contains(msg, c.contains) {
				t.Fatalf("got %d %q, want %d containing %q", status, msg, c.status, c.contains)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	srv := newTestServer(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/packages/missing", 404, ""},
		{"GET", "/packages/a/b", 404, ""},
		{"GET", "/packages/", 404, ""},
		{"GET", "/elsewhere", 404, ""},
		{"GET", "/packages", 405, "POST"},
		{"PUT", "/packages/x", 405, "GET, HEAD"},
		{"DELETE", "/version", 405, "GET, HEAD"},
	}
	for _, c := range cases {
		status, header, _ := do(t, c.method, srv.URL+c.path, "")
		if status != c.status || header.Get("Allow") != c.allow {
			t.Errorf("%s %s: got %d allow=%q, want %d allow=%q", c.method, c.path, status, header.Get("Allow"), c.status, c.allow)
		}
	}
}
