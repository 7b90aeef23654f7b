// Command package is the package service of the drone delivery example: it
// registers the packages that drones carry and answers what they are.
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

func main() {
	log := NewLogger(os.Stdout)
	if err := run(log); err != nil {
		log.Log(map[string]interface{}{"level": "error", "msg": err.Error()})
		os.Exit(1)
	}
}

func run(log *Logger) error {
	grace := 20.0
	if raw := os.Getenv("SHUTDOWN_TIMEOUT_SECONDS"); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("SHUTDOWN_TIMEOUT_SECONDS must be a positive number, got %q", raw)
		}
		grace = v
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
	handler := WithRequestLog(NewHandler(info), log)
	if err := Serve(ctx, ln, handler, time.Duration(grace*float64(time.Second))); err != nil {
		return err
	}
	log.Log(map[string]interface{}{"level": "info", "msg": "stopped"})
	return nil
}
