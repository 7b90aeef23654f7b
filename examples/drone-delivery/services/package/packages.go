package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"
)

// MaxWeightKg is the heaviest package a drone carries.
const MaxWeightKg = 25

var sizes = []string{"small", "medium", "large"}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Package is a parcel registered for delivery.
type Package struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner,omitempty"`
	Size      string    `json:"size"`
	WeightKg  float64   `json:"weightKg"`
	CreatedAt time.Time `json:"createdAt"`
}

// NewPackage is what POST /packages accepts; ID is optional.
type NewPackage struct {
	ID       string   `json:"id"`
	Owner    string   `json:"owner"`
	Size     string   `json:"size"`
	WeightKg *float64 `json:"weightKg"`
}

// Validate returns every problem with p, each naming its field.
func (p NewPackage) Validate() []string {
	var problems []string
	if p.ID != "" && !idPattern.MatchString(p.ID) {
		problems = append(problems, "id must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)")
	}
	known := false
	for _, s := range sizes {
		known = known || p.Size == s
	}
	if !known {
		problems = append(problems, "size must be one of "+strings.Join(sizes, ", "))
	}
	if p.WeightKg == nil {
		problems = append(problems, "weightKg is required")
	} else if w := *p.WeightKg; math.IsNaN(w) || w <= 0 || w > MaxWeightKg {
		problems = append(problems, fmt.Sprintf("weightKg must be greater than 0 and at most %d", MaxWeightKg))
	}
	return problems
}

// sameContents reports whether an existing package matches a new request
// for it, so that a retried POST is answered instead of refused.
func (p Package) sameContents(n NewPackage) bool {
	return p.Owner == strings.TrimSpace(n.Owner) && p.Size == n.Size && n.WeightKg != nil && p.WeightKg == *n.WeightKg
}

// Outcome of Store.Create.
type Outcome int

const (
	Created  Outcome = iota // a new package was stored
	Existing                // the same package was already there
	Conflict                // the id is taken by a different package
)

// Store keeps packages in memory; safe for concurrent use.
type Store struct {
	mu    sync.RWMutex
	items map[string]Package
	now   func() time.Time
	newID func() string
}

func NewStore(now func() time.Time) *Store {
	return &Store{items: make(map[string]Package), now: now, newID: randomID}
}

func randomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "pkg-" + hex.EncodeToString(b[:])
}

// Create stores a validated package. Creating the same package twice is
// idempotent; reusing an id for different contents is a conflict.
func (s *Store) Create(n NewPackage) (Package, Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := n.ID
	if id == "" {
		id = s.newID()
	}
	if existing, ok := s.items[id]; ok {
		if existing.sameContents(n) {
			return existing, Existing
		}
		return existing, Conflict
	}
	p := Package{
		ID:        id,
		Owner:     strings.TrimSpace(n.Owner),
		Size:      n.Size,
		WeightKg:  *n.WeightKg,
		CreatedAt: s.now().UTC().Truncate(time.Second),
	}
	s.items[id] = p
	return p, Created
}

func (s *Store) Get(id string) (Package, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.items[id]
	return p, ok
}
