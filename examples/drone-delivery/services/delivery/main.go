// Command delivery is the delivery service of the drone delivery example:
// it schedules deliveries, computes drone ETAs and reports their status.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envFloat(name string, fallback float64) (float64, error) {
	raw := os.Getenv(name)
	if raw == "" {
		return fallback, nil
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s must be a positive number, got %q", name, raw)
	}
	return v, nil
}

func main() {
	log := NewLogger(os.Stdout)
	if err := run(log); err != nil {
		log.Log(map[string]interface{}{"level": "error", "msg": err.Error()})
		os.Exit(1)
	}
}

func run(log *Logger) error {
	plan := DefaultFlightPlan
	var err error
	if plan.SpeedKmh, err = envFloat("DRONE_SPEED_KMH", plan.SpeedKmh); err != nil {
		return err
	}
	if plan.MaxRangeKm, err = envFloat("DRONE_MAX_RANGE_KM", plan.MaxRangeKm); err != nil {
		return err
	}
	grace, err := envFloat("SHUTDOWN_TIMEOUT_SECONDS", 20)
	if err != nil {
		return err
	}
	info := Info{
		Service:  serviceName,
		Version:  envOr("SLIPWAY_VERSION", "0.0.0-dev"),
		Revision: envOr("SLIPWAY_REVISION", "unknown"),
	}
	port := envOr("PORT", "8080")
	ln, err := net.Listen("tcp", os.Getenv("HOST")+":"+port) // HOST=127.0.0.1 on slipway's host network
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		sig := <-signals
		log.Log(map[string]interface{}{"level": "info", "msg": sig.String() + " received; finishing in-flight requests"})
		cancel()
	}()
	log.Log(map[string]interface{}{"level": "info", "msg": "listening on " + os.Getenv("HOST") + ":" + port, "logLevel": envOr("LOG_LEVEL", "info")})
	handler := WithRequestLog(NewHandler(plan, info), log)
	if err := Serve(ctx, ln, handler, time.Duration(grace*float64(time.Second))); err != nil {
		return err
	}
	log.Log(map[string]interface{}{"level": "info", "msg": "stopped"})
	return nil
}
