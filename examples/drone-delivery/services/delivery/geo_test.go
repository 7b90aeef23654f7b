package main

import (
	"math"
	"testing"
	"time"
)

func TestHaversineKm(t *testing.T) {
	london := Point{Lat: 51.5074, Lon: -0.1278}
	paris := Point{Lat: 48.8566, Lon: 2.3522}
	cases := []struct {
		name      string
		a, b      Point
		want, tol float64
	}{
		{"same point", london, london, 0, 1e-9},
		{"one degree of latitude", Point{0, 0}, Point{1, 0}, 111.195, 0.01},
		{"one degree of longitude on the equator", Point{0, 0}, Point{0, 1}, 111.195, 0.01},
		{"London to Paris", london, paris, 343.5, 0.5},
		{"across the antimeridian", Point{0, 179.5}, Point{0, -179.5}, 111.195, 0.01},
		{"antipodes", Point{0, 0}, Point{0, 180}, math.Pi * earthRadiusKm, 0.001},
		{"pole to pole", Point{90, 0}, Point{-90, 0}, math.Pi * earthRadiusKm, 0.001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := HaversineKm(c.a, c.b)
			if math.Abs(got-c.want) > c.tol {
				t.Fatalf("HaversineKm(%v, %v) = %.4f, want %.4f ± %g", c.a, c.b, got, c.want, c.tol)
			}
			if back := HaversineKm(c.b, c.a); math.Abs(back-got) > 1e-9 {
				t.Fatalf("not symmetric: %v vs %v", got, back)
			}
		})
	}
}

func TestETA(t *testing.T) {
	plan := FlightPlan{SpeedKmh: 50, Handling: 2 * time.Minute, MaxRangeKm: 80}
	cases := []struct {
		km   float64
		want time.Duration
	}{
		{0, 2 * time.Minute},
		{25, 32 * time.Minute},   // 30 min in the air + handling
		{1, 4 * time.Minute},     // 1.2 + 2 = 3.2, shown as 4
		{50, 62 * time.Minute},   // an hour in the air
		{0.001, 3 * time.Minute}, // any flight at all rounds up
	}
	for _, c := range cases {
		if got := plan.ETA(c.km); got != c.want {
			t.Errorf("ETA(%v km) = %v, want %v", c.km, got, c.want)
		}
	}
}

func TestPointValidate(t *testing.T) {
	valid := []Point{{0, 0}, {90, 180}, {-90, -180}}
	for _, p := range valid {
		if err := p.Validate("p"); err != nil {
			t.Errorf("%v: unexpected %v", p, err)
		}
	}
	invalid := map[Point]string{
		{90.1, 0}:       "p.lat must be a number between -90 and 90",
		{0, -180.5}:     "p.lon must be a number between -180 and 180",
		{math.NaN(), 0}: "p.lat must be a number between -90 and 90",
	}
	for p, want := range invalid {
		if err := p.Validate("p"); err == nil || err.Error() != want {
			t.Errorf("%v: got %v, want %q", p, err, want)
		}
	}
}

func TestPhase(t *testing.T) {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	d := Delivery{ScheduledAt: start, ExpectedArrival: start.Add(10 * time.Minute)}
	cases := []struct {
		after time.Duration
		want  string
	}{
		{0, "scheduled"},
		{59 * time.Second, "scheduled"},
		{time.Minute, "in-flight"},
		{9*time.Minute + 59*time.Second, "in-flight"},
		{10 * time.Minute, "delivered"},
		{time.Hour, "delivered"},
	}
	for _, c := range cases {
		if got := d.Phase(start.Add(c.after), 2*time.Minute); got != c.want {
			t.Errorf("Phase after %v = %q, want %q", c.after, got, c.want)
		}
	}
}
