package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"
)

const serviceName = "delivery"

const maxBodyBytes = 64 << 10

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Info is what GET /version answers.
type Info struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Revision string `json:"revision"`
}

// Handler serves the delivery API.
type Handler struct {
	Store *Store
	Plan  FlightPlan
	Info  Info
	Now   func() time.Time
}

// NewHandler returns a handler with an empty store and the real clock.
func NewHandler(plan FlightPlan, info Info) *Handler {
	return &Handler{Store: NewStore(), Plan: plan, Info: info, Now: time.Now}
}

type scheduleRequest struct {
	ID        string `json:"id"`
	Owner     string `json:"owner"`
	PackageID string `json:"packageId"`
	Pickup    *Point `json:"pickup"`
	Dropoff   *Point `json:"dropoff"`
}

type statusResponse struct {
	ID               string    `json:"id"`
	Status           string    `json:"status"`
	ETAMinutes       int       `json:"etaMinutes"`
	ExpectedArrival  time.Time `json:"expectedArrival"`
	RemainingSeconds int       `json:"remainingSeconds"`
}

type errorResponse struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"internal error: could not encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, format string, args ...interface{}) {
	writeJSON(w, status, errorResponse{Error: fmt.Sprintf(format, args...)})
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path)
	return false
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/healthz":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}
		return
	case path == "/version":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			writeJSON(w, http.StatusOK, h.Info)
		}
		return
	case strings.HasPrefix(path, "/deliveries/"):
		parts := strings.Split(strings.TrimPrefix(path, "/deliveries/"), "/")
		id := parts[0]
		if idPattern.MatchString(id) {
			if len(parts) == 1 {
				switch r.Method {
				case http.MethodPut:
					h.schedule(w, r, id)
				case http.MethodGet, http.MethodHead:
					h.get(w, id)
				default:
					allow(w, r, http.MethodGet, http.MethodHead, http.MethodPut)
				}
				return
			}
			if len(parts) == 2 && parts[1] == "status" {
				if allow(w, r, http.MethodGet, http.MethodHead) {
					h.status(w, id)
				}
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "no route for %s %s", r.Method, path)
}

func (h *Handler) schedule(w http.ResponseWriter, r *http.Request, id string) {
	var req scheduleRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxBodyBytes)
			return
		}
		writeError(w, http.StatusBadRequest, "request body is not a valid delivery: %v", err)
		return
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		writeError(w, http.StatusBadRequest, "request body must hold exactly one JSON object")
		return
	}
	if problems := validateSchedule(id, req); len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid delivery: %s", strings.Join(problems, "; "))
		return
	}
	// PUT is idempotent: the same delivery sent again (a retried workflow)
	// keeps its schedule; a changed one is rescheduled below.
	if existing, ok := h.Store.Get(id); ok && existing.sameRequest(req) {
		w.Header().Set("Location", "/deliveries/"+id)
		existing.Status = existing.Phase(h.Now(), h.Plan.Handling)
		writeJSON(w, http.StatusOK, existing)
		return
	}
	distance := HaversineKm(*req.Pickup, *req.Dropoff)
	if distance > h.Plan.MaxRangeKm {
		writeError(w, http.StatusUnprocessableEntity,
			"dropoff is %.1f km from pickup; drones fly at most %.0f km", distance, h.Plan.MaxRangeKm)
		return
	}
	eta := h.Plan.ETA(distance)
	now := h.Now().UTC().Truncate(time.Second)
	d := Delivery{
		ID:              id,
		Owner:           strings.TrimSpace(req.Owner),
		PackageID:       req.PackageID,
		Pickup:          *req.Pickup,
		Dropoff:         *req.Dropoff,
		Status:          "scheduled",
		DistanceKm:      math.Round(distance*100) / 100,
		ETAMinutes:      int(eta / time.Minute),
		ScheduledAt:     now,
		ExpectedArrival: now.Add(eta),
	}
	status := http.StatusCreated
	if h.Store.Put(d) {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/deliveries/"+id)
	writeJSON(w, status, d)
}

func (d Delivery) sameRequest(req scheduleRequest) bool {
	return d.Owner == strings.TrimSpace(req.Owner) && d.PackageID == req.PackageID &&
		d.Pickup == *req.Pickup && d.Dropoff == *req.Dropoff
}

func validateSchedule(id string, req scheduleRequest) []string {
	var problems []string
	if req.ID != "" && req.ID != id {
		problems = append(problems, fmt.Sprintf("id %q in the body does not match %q in the path", req.ID, id))
	}
	if strings.TrimSpace(req.Owner) == "" {
		problems = append(problems, "owner is required")
	}
	if req.PackageID == "" {
		problems = append(problems, "packageId is required")
	}
	for _, p := range []struct {
		name  string
		point *Point
	}{{"pickup", req.Pickup}, {"dropoff", req.Dropoff}} {
		if p.point == nil {
			problems = append(problems, p.name+" is required: an object {lat, lon}")
		} else if err := p.point.Validate(p.name); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

func (h *Handler) get(w http.ResponseWriter, id string) {
	d, ok := h.Store.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no delivery %s", id)
		return
	}
	d.Status = d.Phase(h.Now(), h.Plan.Handling)
	writeJSON(w, http.StatusOK, d)
}

func (h *Handler) status(w http.ResponseWriter, id string) {
	d, ok := h.Store.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no delivery %s", id)
		return
	}
	now := h.Now()
	remaining := d.ExpectedArrival.Sub(now)
	if remaining < 0 {
		remaining = 0
	}
	writeJSON(w, http.StatusOK, statusResponse{
		ID:               d.ID,
		Status:           d.Phase(now, h.Plan.Handling),
		ETAMinutes:       d.ETAMinutes,
		ExpectedArrival:  d.ExpectedArrival,
		RemainingSeconds: int(math.Ceil(remaining.Seconds())),
	})
}
