package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// ParseBind splits a listening address "ip:port" ("0.0.0.0:33035",
// "[::]:31244", "[::1]:33034"). The host must be an IP literal, as in
// Massa; port 0 means "any free port" (tests use it).
func ParseBind(s string) (netip.Addr, uint16, error) {
	if s == "" {
		return netip.Addr{}, 0, errorf("empty address: want \"ip:port\" such as \"0.0.0.0:33035\" or \"[::]:31244\": %w", ErrBadBind)
	}
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, 0, errorf("%q: want \"ip:port\" such as \"0.0.0.0:33035\" or \"[::]:31244\" (IPv6 in brackets): %w", clip(s), ErrBadBind)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, errorf("%q: %q is not an IP address (host names are not accepted): %w", clip(s), clip(host), ErrBadBind)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return netip.Addr{}, 0, errorf("%q: port %q is not a number in 0..65535: %w", clip(s), clip(portStr), ErrBadBind)
	}
	return ip, uint16(port), nil
}

// Bind is one listening address of the node and the key that sets it.
type Bind struct {
	Key  string // e.g. "[api] bind_public"
	Addr string
}

// Binds lists the addresses the node will listen on, in start order;
// disabled listeners (no bootstrap server, metrics off) are left out.
func (c *Config) Binds() []Bind {
	b := []Bind{{"[network] bind", c.Network.Bind}}
	if c.Bootstrap.Bind != "" {
		b = append(b, Bind{"[bootstrap] bind", c.Bootstrap.Bind})
	}
	b = append(b,
		Bind{"[api] bind_private", c.API.BindPrivate},
		Bind{"[api] bind_public", c.API.BindPublic},
		Bind{"[api] bind_api", c.API.BindAPI},
	)
	if c.Metrics.Enabled {
		b = append(b, Bind{"[metrics] bind", c.Metrics.Bind})
	}
	return b
}

// CheckPorts is CheckPortsFree over the configuration's own binds.
func (c *Config) CheckPorts() error { return CheckPortsFree(c.Binds(), c.File) }

// CheckPortsFree listens on each address and closes it at once, and
// reports the first that fails in one line naming the port, the key to
// change in file and, when /proc shows it, the process holding the port.
// It runs before any component starts, so that a taken port never leaves
// a half-started node. (Another program may still take a port between the
// check and the real listen; the component then reports it.)
func CheckPortsFree(binds []Bind, file string) error {
	where := func(b Bind) string {
		if file == "" {
			return b.Key
		}
		return b.Key + " in " + file
	}
	for _, b := range binds {
		ip, port, err := ParseBind(b.Addr)
		if err != nil {
			return errorf("%s: %w", where(b), err)
		}
		l, err := net.Listen("tcp", b.Addr)
		if err == nil {
			l.Close()
			continue
		}
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			holder := ""
			if pid, name, ok := findPortOwner("/proc", port); ok {
				holder = fmt.Sprintf(" by %s (pid %d)", name, pid)
			}
			return errorf("port %d is already in use%s (%s); stop the other program or change the key: %w",
				port, holder, where(b), ErrPortInUse)
		case errors.Is(err, syscall.EACCES):
			return errorf("cannot listen on %s (%s): permission denied, ports below 1024 need privileges; change the key: %w",
				b.Addr, where(b), ErrListen)
		case errors.Is(err, syscall.EADDRNOTAVAIL):
			return errorf("cannot listen on %s (%s): %s is not an address of this machine; change the key: %w",
				b.Addr, where(b), ip, ErrListen)
		case ip.Is6() && !ip.Is4In6() && errors.Is(err, syscall.EAFNOSUPPORT):
			return errorf("cannot listen on %s (%s): IPv6 is not available on this machine; set [network] ipv6 = false or bind an IPv4 address: %w",
				b.Addr, where(b), ErrListen)
		default:
			return errorf("cannot listen on %s (%s): %v: %w", b.Addr, where(b), err, ErrListen)
		}
	}
	return nil
}

// clip shortens user input quoted in errors.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}
