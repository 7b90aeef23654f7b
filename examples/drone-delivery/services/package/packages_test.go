package main

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func kg(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		in   NewPackage
		want []string
	}{
		{"valid without id", NewPackage{Size: "small", WeightKg: kg(1)}, nil},
		{"valid at the limit", NewPackage{ID: "pkg-1", Size: "large", WeightKg: kg(MaxWeightKg)}, nil},
		{"bad id", NewPackage{ID: "../x", Size: "small", WeightKg: kg(1)}, []string{"id must be 1-64"}},
		{"unknown size", NewPackage{Size: "huge", WeightKg: kg(1)}, []string{"size must be one of small, medium, large"}},
		{"missing weight", NewPackage{Size: "small"}, []string{"weightKg is required"}},
		{"zero weight", NewPackage{Size: "small", WeightKg: kg(0)}, []string{"weightKg must be greater than 0"}},
		{"too heavy", NewPackage{Size: "large", WeightKg: kg(25.5)}, []string{"weightKg must be greater than 0 and at most 25"}},
		{"NaN weight", NewPackage{Size: "large", WeightKg: kg(math.NaN())}, []string{"weightKg must be"}},
		{"everything wrong", NewPackage{ID: "/", Size: ""}, []string{"id must", "size must", "weightKg is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.in.Validate()
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %d problems like %q", got, len(c.want), c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestStoreCreate(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 500, time.UTC)
	s := NewStore(func() time.Time { return now })
	s.newID = func() string { return "pkg-generated" }

	p, outcome := s.Create(NewPackage{ID: "pkg-1", Owner: " contoso ", Size: "small", WeightKg: kg(2)})
	want := Package{ID: "pkg-1", Owner: "contoso", Size: "small", WeightKg: 2, CreatedAt: now.Truncate(time.Second)}
	if outcome != Created || !reflect.DeepEqual(p, want) {
		t.Fatalf("first create: %v %+v", outcome, p)
	}
	if again, outcome := s.Create(NewPackage{ID: "pkg-1", Owner: "contoso", Size: "small", WeightKg: kg(2)}); outcome != Existing || again != want {
		t.Fatalf("retry: %v %+v", outcome, again)
	}
	if _, outcome := s.Create(NewPackage{ID: "pkg-1", Owner: "contoso", Size: "small", WeightKg: kg(3)}); outcome != Conflict {
		t.Fatalf("different contents: %v", outcome)
	}
	if got, ok := s.Get("pkg-1"); !ok || got != want {
		t.Fatalf("Get after conflict: %v %+v", ok, got)
	}
	if p, outcome := s.Create(NewPackage{Size: "medium", WeightKg: kg(4)}); outcome != Created || p.ID != "pkg-generated" {
		t.Fatalf("generated id: %v %+v", outcome, p)
	}
}

func TestRandomID(t *testing.T) {
	a, b := randomID(), randomID()
	if a == b || !idPattern.MatchString(a) || !strings.HasPrefix(a, "pkg-") || len(a) != 20 {
		t.Fatalf("randomID gave %q and %q", a, b)
	}
}
