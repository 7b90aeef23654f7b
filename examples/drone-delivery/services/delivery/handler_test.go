package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newTestServer(t *testing.T) (*httptest.Server, *clock) {
	t.Helper()
	c := &clock{now: t0}
	h := NewHandler(DefaultFlightPlan, Info{Service: "delivery", Version: "1.0.0", Revision: "abc"})
	h.Now = c.Now
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, c
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
	if method != http.MethodHead {
		if err := json.NewDecoder(res.Body).Decode(&decoded); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v", method, url, err)
		}
	}
	return res.StatusCode, res.Header, decoded
}

// Space Needle to Pike Place Market, Seattle: about 1.32 km.
const seattle = `{"owner":"contoso","packageId":"pkg-d-1","pickup":{"lat":47.6205,"lon":-122.3493},"dropoff":{"lat":47.6097,"lon":-122.3421}}`

func TestHealthAndVersion(t *testing.T) {
	srv, _ := newTestServer(t)
	if status, _, body := do(t, "GET", srv.URL+"/healthz", ""); status != 200 || body["status"] != "ok" {
		t.Fatalf("healthz: %d %v", status, body)
	}
	status, _, body := do(t, "GET", srv.URL+"/version", "")
	if status != 200 || body["service"] != "delivery" || body["version"] != "1.0.0" || body["revision"] != "abc" {
		t.Fatalf("version: %d %v", status, body)
	}
}

func TestScheduleGetAndStatus(t *testing.T) {
	srv, c := newTestServer(t)
	status, header, body := do(t, "PUT", srv.URL+"/deliveries/d-1", seattle)
	if status != http.StatusCreated {
		t.Fatalf("PUT: %d %v", status, body)
	}
	if loc := header.Get("Location"); loc != "/deliveries/d-1" {
		t.Errorf("Location = %q", loc)
	}
	// 1.32 km at 50 km/h is 1.6 min in the air; + 2 min handling = 3.6, shown as 4.
	want := map[string]interface{}{
		"id": "d-1", "owner": "contoso", "packageId": "pkg-d-1", "status": "scheduled",
		"distanceKm": 1.32, "etaMinutes": float64(4),
		"scheduledAt": "2024-05-01T12:00:00Z", "expectedArrival": "2024-05-01T12:04:00Z",
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("PUT answer %s = %v, want %v", k, body[k], v)
		}
	}

	if status, _, got := do(t, "GET", srv.URL+"/deliveries/d-1", ""); status != 200 || got["etaMinutes"] != float64(4) {
		t.Fatalf("GET: %d %v", status, got)
	}

	c.now = t0.Add(90 * time.Second)
	status, _, st := do(t, "GET", srv.URL+"/deliveries/d-1/status", "")
	if status != 200 || st["status"] != "in-flight" || st["remainingSeconds"] != float64(150) {
		t.Fatalf("status while flying: %d %v", status, st)
	}
	c.now = t0.Add(5 * time.Minute)
	if _, _, st := do(t, "GET", srv.URL+"/deliveries/d-1/status", ""); st["status"] != "delivered" || st["remainingSeconds"] != float64(0) {
		t.Fatalf("status after arrival: %v", st)
	}
	if _, _, got := do(t, "GET", srv.URL+"/deliveries/d-1", ""); got["status"] != "delivered" {
		t.Fatalf("GET after arrival: %v", got)
	}

	// The same PUT again (a retry) keeps the schedule.
	status, _, again := do(t, "PUT", srv.URL+"/deliveries/d-1", seattle)
	if status != http.StatusOK || again["scheduledAt"] != "2024-05-01T12:00:00Z" || again["status"] != "delivered" {
		t.Fatalf("repeated PUT: %d %v", status, again)
	}
	// A changed delivery is rescheduled from now: 200, new distance and times.
	moved := strings.Replace(seattle, `"lon":-122.3421`, `"lon":-122.3331`, 1)
	status, _, changed := do(t, "PUT", srv.URL+"/deliveries/d-1", moved)
	if status != http.StatusOK || changed["scheduledAt"] != "2024-05-01T12:05:00Z" || changed["distanceKm"] != 1.71 || changed["status"] != "scheduled" {
		t.Fatalf("changed PUT: %d %v", status, changed)
	}
}

func TestScheduleRejections(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		name, path, body string
		status           int
		contains         string
	}{
		{"not JSON", "/deliveries/d-2", `{`, 400, "not a valid delivery"},
		{"two objects", "/deliveries/d-2", `{} {}`, 400, "exactly one JSON object"},
		{"wrong type", "/deliveries/d-2", `{"owner": 5}`, 400, "not a valid delivery"},
		{"everything missing", "/deliveries/d-2", `{}`, 400, "owner is required; packageId is required; pickup is required"},
		{"bad latitude", "/deliveries/d-2", `{"owner":"o","packageId":"p","pickup":{"lat":100,"lon":0},"dropoff":{"lat":0,"lon":0}}`, 400, "pickup.lat must be"},
		{"id mismatch", "/deliveries/d-2", `{"id":"d-3","owner":"o","packageId":"p","pickup":{"lat":0,"lon":0},"dropoff":{"lat":0,"lon":0}}`, 400, `id "d-3" in the body does not match "d-2"`},
		{"out of range", "/deliveries/d-2", `{"owner":"o","packageId":"p","pickup":{"lat":51.5074,"lon":-0.1278},"dropoff":{"lat":48.8566,"lon":2.3522}}`, 422, "drones fly at most 80 km"},
		{"too big", "/deliveries/d-2", `{"owner":"` + strings.Repeat("x", 70000) + `"}`, 413, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := do(t, "PUT", srv.URL+c.path, c.body)
			msg, _ := body["error"].(string)
			if status != c.status || !strings.Contains(msg, c.contains) {
				t.Fatalf("got %d %q, want %d containing %q", status, msg, c.status, c.contains)
			}
		})
	}
	if status, _, _ := do(t, "GET", srv.URL+"/deliveries/d-2", ""); status != 404 {
		t.Fatalf("a rejected delivery was stored: %d", status)
	}
}

func TestRouting(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/deliveries/missing", 404, ""},
		{"GET", "/deliveries/missing/status", 404, ""},
		{"GET", "/deliveries/", 404, ""},
		{"GET", "/deliveries/a/b", 404, ""},
		{"GET", "/deliveries/bad%20id", 404, ""},
		{"GET", "/nowhere", 404, ""},
		{"DELETE", "/deliveries/d-1", 405, "GET, HEAD, PUT"},
		{"POST", "/deliveries/d-1/status", 405, "GET, HEAD"},
		{"POST", "/healthz", 405, "GET, HEAD"},
	}
	for _, c := range cases {
		status, header, _ := do(t, c.method, srv.URL+c.path, "")
		if status != c.status || header.Get("Allow") != c.allow {
			t.Errorf("%s %s: got %d allow=%q, want %d allow=%q", c.method, c.path, status, header.Get("Allow"), c.status, c.allow)
		}
	}
}
