package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gomassa/gomassa/internal/crypto"
)

// Validate checks every value and returns all problems, one line each,
// naming the key. It does not change c.
func (c *Config) Validate() error {
	v := &validator{}

	v.check(c.Logging.Level <= 4, "[logging] level", c.Logging.Level, "must be 0 (error) to 4 (trace)")

	// Listening addresses: syntax, IPv6 switch, and no two listeners on
	// one port.
	type listener struct {
		key string
		ip  netip.Addr
		pt  uint16
	}
	var active []listener
	for _, b := range []struct {
		key, addr string
		enabled   bool
		optional  bool
	}{
		{"[network] bind", c.Network.Bind, true, false},
		{"[bootstrap] bind", c.Bootstrap.Bind, c.Bootstrap.Bind != "", true},
		{"[api] bind_private", c.API.BindPrivate, true, false},
		{"[api] bind_public", c.API.BindPublic, true, false},
		{"[api] bind_api", c.API.BindAPI, true, false},
		{"[metrics] bind", c.Metrics.Bind, c.Metrics.Enabled, !c.Metrics.Enabled},
	} {
		if b.addr == "" && b.optional {
			continue
		}
		ip, port, err := ParseBind(b.addr)
		if err != nil {
			v.fail(b.key, err)
			continue
		}
		if !c.Network.IPv6 && ip.Is6() && !ip.Is4In6() {
			v.add(b.key, b.addr, "is an IPv6 address but [network] ipv6 = false")
		}
		if !b.enabled || port == 0 {
			continue
		}
		for _, o := range active {
			if o.pt == port && (o.ip == ip || o.ip.IsUnspecified() || ip.IsUnspecified()) {
				v.add(b.key, b.addr, fmt.Sprintf("uses port %d, as %s does; give each its own port", port, o.key))
			}
		}
		active = append(active, listener{b.key, ip, port})
	}

	n := &c.Network
	if n.RoutableIP != "" {
		ip, err := netip.ParseAddr(n.RoutableIP)
		v.check(err == nil && !ip.IsUnspecified(), "[network] routable_ip", n.RoutableIP, "must be the public IP address peers can reach, or empty")
	}
	v.nonEmpty("[network] initial_peers_file", n.InitialPeersFile)
	v.nonEmpty("[network] keypair_file", n.KeypairFile)
	v.positive("[network] max_in_connections_per_ip", uint64(n.MaxInConnectionsPerIP))
	v.positive("[network] max_operations_per_message", uint64(n.MaxOperationsPerMessage))

	b := &c.Bootstrap
	for i, e := range b.BootstrapList {
		key := fmt.Sprintf("[bootstrap] bootstrap_list[%d]", i)
		if len(e) != 2 {
			v.add(key, e, `must be a pair ["ip:port", "N…node id"]`)
			continue
		}
		ip, port, err := ParseBind(e[0])
		switch {
		case err != nil:
			v.fail(key, err)
		case port == 0 || ip.IsUnspecified():
			v.add(key, e[0], "must be the address of a bootstrap server, not a wildcard or port 0")
		}
		if _, err := crypto.ParseNodeID(e[1]); err != nil {
			v.fail(key, errorf("node id %q: %w", clip(e[1]), err))
		}
	}
	switch b.BootstrapProtocol {
	case bootstrapProtocolIPv4, bootstrapProtocolBoth:
	case bootstrapProtocolIPv6:
		v.check(c.Network.IPv6, "[bootstrap] bootstrap_protocol", b.BootstrapProtocol, "needs [network] ipv6 = true")
	default:
		v.add("[bootstrap] bootstrap_protocol", b.BootstrapProtocol, `must be "IPv4", "IPv6" or "Both"`)
	}
	for _, d := range []struct {
		key string
		val Millis
	}{
		{"[bootstrap] connect_timeout", b.ConnectTimeout},
		{"[bootstrap] bootstrap_timeout", b.BootstrapTimeout},
		{"[bootstrap] max_ping", b.MaxPing},
		{"[bootstrap] read_timeout", b.ReadTimeout},
		{"[bootstrap] write_timeout", b.WriteTimeout},
		{"[bootstrap] read_error_timeout", b.ReadErrorTimeout},
		{"[bootstrap] write_error_timeout", b.WriteErrorTimeout},
	} {
		v.positive(d.key, uint64(d.val))
	}
	if b.Bind != "" {
		v.positive("[bootstrap] max_simultaneous_bootstraps", uint64(b.MaxSimultaneousBootstraps))
	}
	v.positive("[bootstrap] rate_limit", b.RateLimit)

	a := &c.API
	v.privateAPI(c)
	v.positive("[api] max_arguments", a.MaxArguments)
	v.positive("[api] max_request_body_size", uint64(a.MaxRequestBodySize))
	v.positive("[api] max_response_body_size", uint64(a.MaxResponseBodySize))
	v.positive("[api] max_connections", uint64(a.MaxConnections))

	v.positive("[pool] max_operation_pool_size", c.Pool.MaxOperationPoolSize)
	v.positive("[pool] max_operation_pool_bytes", c.Pool.MaxOperationPoolBytes)
	v.positive("[pool] max_endorsements_pool_size_per_thread", c.Pool.MaxEndorsementsPoolSizePerThread)
	v.positive("[execution] max_read_only_gas", c.Execution.MaxReadOnlyGas)
	v.positive("[execution] max_final_events", c.Execution.MaxFinalEvents)
	v.positive("[consensus] max_future_processing_blocks", c.Consensus.MaxFutureProcessingBlocks)
	v.positive("[consensus] max_dependency_blocks", c.Consensus.MaxDependencyBlocks)
	v.positive("[consensus] max_discarded_blocks", c.Consensus.MaxDiscardedBlocks)
	v.check(c.Consensus.ForceKeepFinalPeriods <= 32, "[consensus] force_keep_final_periods", c.Consensus.ForceKeepFinalPeriods,
		"must be at most 32 (final blocks are kept 32 periods in all)")
	v.nonEmpty("[factory] staking_wallet_path", c.Factory.StakingWalletPath)
	v.nonEmpty("[ledger] disk_ledger_path", c.Ledger.DiskLedgerPath)
	v.staking(c)

	return v.err()
}

// validator collects problems so that an operator fixes them all at once.
type validator struct{ errs []error }

func (v *validator) add(key string, val any, why string) {
	v.errs = append(v.errs, errorf("%s = %s: %s: %w", key, quote(val), why, ErrInvalid))
}

func (v *validator) fail(key string, err error) {
	v.errs = append(v.errs, errorf("%s: %w", key, err))
}

func (v *validator) check(ok bool, key string, val any, why string) {
	if !ok {
		v.add(key, val, why)
	}
}

func (v *validator) positive(key string, val uint64) {
	v.check(val > 0, key, val, "must be more than 0")
}

func (v *validator) nonEmpty(key, val string) { v.check(val != "", key, val, "must not be empty") }

func (v *validator) err() error { return errors.Join(v.errs...) }

func quote(val any) string {
	if s, ok := val.(string); ok {
		return fmt.Sprintf("%q", clip(s))
	}
	return fmt.Sprintf("%v", val)
}

// privateAPI checks the private API's exposure: beyond the loopback
// interface it must serve HTTPS, and the certificate pair must load.
func (v *validator) privateAPI(c *Config) {
	a := &c.API
	if (a.PrivateTLSCert == "") != (a.PrivateTLSKey == "") {
		v.errs = append(v.errs, errorf("[api] private_tls_cert and private_tls_key must be set together (the certificate and its private key, PEM files): %w", ErrConflict))
		return
	}
	if a.PrivateTLSCert == "" {
		ip, _, err := ParseBind(a.BindPrivate)
		if err == nil && !ip.IsLoopback() {
			v.errs = append(v.errs, errorf("[api] bind_private = %s is not a loopback address: set [api] private_tls_cert and private_tls_key, or bind to 127.0.0.1: %w",
				clip(a.BindPrivate), ErrInvalid))
		}
		return
	}
	if _, err := c.PrivateTLSConfig(); err != nil {
		v.errs = append(v.errs, err)
	}
}

// PrivateTLSConfig loads the private API's certificate pair; it returns
// nil, nil when [api] private_tls_cert is not set (plain HTTP on loopback).
func (c *Config) PrivateTLSConfig() (*tls.Config, error) {
	a := &c.API
	if a.PrivateTLSCert == "" && a.PrivateTLSKey == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.Path(a.PrivateTLSCert), c.Path(a.PrivateTLSKey))
	if err != nil {
		return nil, errorf("[api] private_tls_cert = %q, private_tls_key = %q: cannot load the certificate pair: %v: %w",
			clip(a.PrivateTLSCert), clip(a.PrivateTLSKey), err, ErrInvalid)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
