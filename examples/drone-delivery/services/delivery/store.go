package main

import (
	"sync"
	"time"
)

// Delivery is a scheduled drone delivery.
type Delivery struct {
	ID              string    `json:"id"`
	Owner           string    `json:"owner"`
	PackageID       string    `json:"packageId"`
	Pickup          Point     `json:"pickup"`
	Dropoff         Point     `json:"dropoff"`
	Status          string    `json:"status"`
	DistanceKm      float64   `json:"distanceKm"`
	ETAMinutes      int       `json:"etaMinutes"`
	ScheduledAt     time.Time `json:"scheduledAt"`
	ExpectedArrival time.Time `json:"expectedArrival"`
}

// Phase is where a delivery stands at `now`: the drone is loaded during the
// first half of the handling time, flies until the expected arrival, and the
// package is delivered from then on.
func (d Delivery) Phase(now time.Time, handling time.Duration) string {
	switch {
	case now.Before(d.ScheduledAt.Add(handling / 2)):
		return "scheduled"
	case now.Before(d.ExpectedArrival):
		return "in-flight"
	default:
		return "delivered"
	}
}

// Store keeps deliveries in memory; safe for concurrent use.
type Store struct {
	mu    sync.RWMutex
	items map[string]Delivery
}

func NewStore() *Store {
	return &Store{items: make(map[string]Delivery)}
}

// Put stores d under d.ID and reports whether it replaced an earlier one.
func (s *Store) Put(d Delivery) (replaced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, replaced = s.items[d.ID]
	s.items[d.ID] = d
	return replaced
}

func (s *Store) Get(id string) (Delivery, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.items[id]
	return d, ok
}
