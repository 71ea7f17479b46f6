package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPServer is a listening JSON-RPC endpoint.
type HTTPServer struct {
	srv  *http.Server
	ln   net.Listener
	tls  bool
	done chan struct{}
}

// Listen binds addr (already checked free by the node) and serves h over
// plain HTTP until Stop. configKey names the setting in errors.
func Listen(addr, configKey string, h http.Handler, log *slog.Logger) (*HTTPServer, error) {
	return ListenTLS(addr, configKey, h, nil, log)
}

// ListenTLS is Listen serving HTTPS with tlsCfg (HTTP when tlsCfg is nil).
// The private API uses it when it is bound beyond the loopback interface,
// so that its token never crosses a network in clear.
func ListenTLS(addr, configKey string, h http.Handler, tlsCfg *tls.Config, log *slog.Logger) (*HTTPServer, error) {
	if tlsCfg != nil && len(tlsCfg.Certificates) == 0 && tlsCfg.GetCertificate == nil {
		return nil, fmt.Errorf("cannot serve HTTPS on %s (%s): %w", addr, configKey, ErrNoCertificate)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%s): %w", addr, configKey, err)
	}
	if tlsCfg != nil {
		cfg := tlsCfg.Clone()
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		ln = tls.NewListener(ln, cfg)
	}
	s := &HTTPServer{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      120 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    1 << 16,
		},
		ln:   ln,
		tls:  tlsCfg != nil,
		done: make(chan struct{}),
	}
	// net/http reports failed TLS handshakes and the like through a
	// *log.Logger; route them to the node's log at debug level.
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s.srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("API server stopped", "addr", addr, "err", err)
		}
	}()
	return s, nil
}

// Addr is the bound address (useful with port 0).
func (s *HTTPServer) Addr() net.Addr { return s.ln.Addr() }

// URL is the server's base URL, http:// or https://.
func (s *HTTPServer) URL() string {
	if s.tls {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Stop shuts the server down, waiting up to 5 s for requests in flight.
func (s *HTTPServer) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
