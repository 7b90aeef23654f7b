package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const serviceName = "package"

const maxBodyBytes = 64 << 10

// Info is what GET /version answers.
type Info struct {
	Service  string `json:"service"`
	Version  string `json:"version"`
	Revision string `json:"revision"`
}

// Handler serves the package API.
type Handler struct {
	Store *Store
	Info  Info
}

func NewHandler(info Info) *Handler {
	return &Handler{Store: NewStore(time.Now), Info: info}
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
	case path == "/version":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			writeJSON(w, http.StatusOK, h.Info)
		}
	case path == "/packages":
		if allow(w, r, http.MethodPost) {
			h.create(w, r)
		}
	case strings.HasPrefix(path, "/packages/") && idPattern.MatchString(strings.TrimPrefix(path, "/packages/")):
		if allow(w, r, http.MethodGet, http.MethodHead) {
			h.get(w, strings.TrimPrefix(path, "/packages/"))
		}
	default:
		writeError(w, http.StatusNotFound, "no route for %s %s", r.Method, path)
	}
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	var req NewPackage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxBodyBytes)
			return
		}
		writeError(w, http.StatusBadRequest, "request body is not a valid package: %v", err)
		return
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		writeError(w, http.StatusBadRequest, "request body must hold exactly one JSON object")
		return
	}
	if problems := req.Validate(); len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid package: %s", strings.Join(problems, "; "))
		return
	}
	p, outcome := h.Store.Create(req)
	switch outcome {
	case Created:
		w.Header().Set("Location", "/packages/"+p.ID)
		writeJSON(w, http.StatusCreated, p)
	case Existing:
		w.Header().Set("Location", "/packages/"+p.ID)
		writeJSON(w, http.StatusOK, p)
	default:
		writeError(w, http.StatusConflict, "package %s already exists with different contents", p.ID)
	}
}

func (h *Handler) get(w http.ResponseWriter, id string) {
	p, ok := h.Store.Get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no package %s", id)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
