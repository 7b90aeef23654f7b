package main

import (
	"fmt"
	"math"
	"time"
)

// Point is a position in decimal degrees (WGS 84).
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// earthRadiusKm is the mean Earth radius used by the haversine formula.
const earthRadiusKm = 6371.0088

// Validate reports a problem with the point, naming it as `name`.
func (p Point) Validate(name string) error {
	if math.IsNaN(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		return fmt.Errorf("%s.lat must be a number between -90 and 90", name)
	}
	if math.IsNaN(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		return fmt.Errorf("%s.lon must be a number between -180 and 180", name)
	}
	return nil
}

// HaversineKm returns the great-circle distance between a and b in kilometres.
func HaversineKm(a, b Point) float64 {
	rad := func(deg float64) float64 { return deg * math.Pi / 180 }
	dLat := rad(b.Lat - a.Lat)
	dLon := rad(b.Lon - a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	// Rounding can push h a hair above 1 for antipodal points.
	h = math.Min(1, h)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h))
}

// FlightPlan describes how the drone fleet flies.
type FlightPlan struct {
	SpeedKmh   float64       // cruise speed
	Handling   time.Duration // loading, take-off and landing, added to every flight
	MaxRangeKm float64       // longest distance a drone covers with one battery
}

// DefaultFlightPlan is used unless the environment says otherwise.
var DefaultFlightPlan = FlightPlan{SpeedKmh: 50, Handling: 2 * time.Minute, MaxRangeKm: 80}

// ETA returns the time from scheduling to arrival for a flight of distanceKm,
// rounded up to whole minutes as customers are shown.
func (f FlightPlan) ETA(distanceKm float64) time.Duration {
	flight := time.Duration(distanceKm / f.SpeedKmh * float64(time.Hour))
	total := flight + f.Handling
	return time.Duration(math.Ceil(total.Minutes())) * time.Minute
}
