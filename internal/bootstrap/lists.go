package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"sync"
	"time"
)

// maxListFile bounds a white/black list file.
const maxListFile = 16 << 20

// ipList is a bootstrap white or black list: a JSON array of IP strings
// in a file, reloaded at most every cacheDuration (Massa's
// cache_duration), so an operator's edit applies without a restart. A
// missing file is an empty list; whether an empty whitelist means
// "everyone" is the caller's rule.
type ipList struct {
	path     string
	cache    time.Duration
	mu       sync.Mutex
	loadedAt time.Time
	exists   bool
	ips      map[netip.Addr]struct{}
	lastErr  string
}

func newIPList(path string, cache time.Duration) *ipList {
	return &ipList{path: path, cache: cache}
}

// parseIPList decodes a list file strictly: a JSON array of IP strings.
// IPs are canonicalized (IPv4-mapped IPv6 becomes IPv4).
func parseIPList(data []byte) (map[netip.Addr]struct{}, error) {
	var raw []string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("want a JSON array of IP addresses such as [\"203.0.113.7\"]: %w", err)
	}
	out := make(map[netip.Addr]struct{}, len(raw))
	for i, s := range raw {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%q) is not an IP address", i, s)
		}
		out[ip.Unmap()] = struct{}{}
	}
	return out, nil
}

// lookup reports whether the file exists and whether ip is in it.
func (l *ipList) lookup(ip netip.Addr, now time.Time, log func(msg string, args ...any)) (exists, listed bool) {
	if l == nil || l.path == "" {
		return false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loadedAt.IsZero() || now.Sub(l.loadedAt) >= l.cache {
		l.reload(now, log)
	}
	_, listed = l.ips[ip.Unmap()]
	return l.exists, listed
}

func (l *ipList) reload(now time.Time, log func(msg string, args ...any)) {
	l.loadedAt = now
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		l.exists, l.ips, l.lastErr = false, nil, ""
		return
	}
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(f, maxListFile+1))
		f.Close()
		if err == nil && len(data) > maxListFile {
			err = fmt.Errorf("larger than %d bytes", maxListFile)
		}
	}
	var ips map[netip.Addr]struct{}
	if err == nil {
		ips, err = parseIPList(data)
	}
	if err != nil {
		// Keep the last good list; say it once per change of error.
		if msg := err.Error(); msg != l.lastErr {
			l.lastErr = msg
			log("cannot read bootstrap IP list; keeping the previous one", "file", l.path, "err", msg)
		}
		return
	}
	l.exists, l.ips, l.lastErr = true, ips, ""
}
