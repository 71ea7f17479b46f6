package protocol

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// maxPeerBookFile bounds the peer book file read at start.
const maxPeerBookFile = 64 << 20

// PeerRecord is what the peer book remembers of a node.
type PeerRecord struct {
	ID        PeerID           `json:"id"`
	Listeners []netip.AddrPort `json:"listeners"`
	// Initial marks a configured initial peer: never evicted.
	Initial bool `json:"initial,omitempty"`
	// Times are milliseconds since the Unix epoch; 0 is never.
	LastSuccessMS int64 `json:"last_success_ms,omitempty"`
	LastFailureMS int64 `json:"last_failure_ms,omitempty"`
	Failures      int   `json:"failures,omitempty"`
	BannedUntilMS int64 `json:"banned_until_ms,omitempty"`

	lastTry time.Time
}

// BannedIP is an IP ban and its end.
type BannedIP struct {
	IP      netip.Addr `json:"ip"`
	UntilMS int64      `json:"until_ms"`
}

// peerBookFile is the JSON form of the peer book.
type peerBookFile struct {
	Peers     []PeerRecord `json:"peers"`
	BannedIPs []BannedIP   `json:"banned_ips"`
}

// anonPeer is an initial peer configured without an id: known by address
// until it answers.
type anonPeer struct {
	addr    netip.AddrPort
	lastTry time.Time
}

// PeerBook holds the nodes we know, their listeners, connection history
// and bans (by id and by IP). It is safe for concurrent use; the service,
// its accept path and its connector share one.
type PeerBook struct {
	mu        sync.Mutex
	path      string
	max       int
	now       func() time.Time
	rng       *rand.Rand
	peers     map[PeerID]*PeerRecord
	anon      []*anonPeer
	bannedIPs map[netip.Addr]int64
	dirty     bool
}

// NewPeerBook returns an empty book saved to path (empty: never saved)
// holding at most maxPeers nodes. now is the clock; seed feeds the random
// choice of peers shared with others.
func NewPeerBook(path string, maxPeers int, now func() time.Time, seed uint64) *PeerBook {
	if now == nil {
		now = time.Now
	}
	return &PeerBook{
		path: path, max: maxPeers, now: now,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		peers:     make(map[PeerID]*PeerRecord),
		bannedIPs: make(map[netip.Addr]int64),
	}
}

// LoadPeerBook reads the book at path; a missing file gives an empty book.
func LoadPeerBook(path string, maxPeers int, now func() time.Time, seed uint64) (*PeerBook, error) {
	b := NewPeerBook(path, maxPeers, now, seed)
	if path == "" {
		return b, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrPeerBook, path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPeerBookFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrPeerBook, path, err)
	}
	if len(data) > maxPeerBookFile {
		return nil, fmt.Errorf("%w %s: larger than %d bytes; delete it to start afresh", ErrPeerBook, path, maxPeerBookFile)
	}
	peers, ips, err := DecodePeerBook(data, maxPeers)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w; delete it to start afresh", ErrPeerBook, path, err)
	}
	for i := range peers {
		r := peers[i]
		b.peers[r.ID] = &r
	}
	for _, ip := range ips {
		b.bannedIPs[ip.IP] = ip.UntilMS
	}
	return b, nil
}

// DecodePeerBook parses the JSON form of a peer book strictly: unknown
// fields, duplicate ids, more than maxPeers entries or too many listeners
// are errors.
func DecodePeerBook(data []byte, maxPeers int) ([]PeerRecord, []BannedIP, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f peerBookFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if len(f.Peers) > maxPeers {
		return nil, nil, fmt.Errorf("%d peers, limit %d: %w", len(f.Peers), maxPeers, ErrMalformed)
	}
	seen := make(map[PeerID]struct{}, len(f.Peers))
	for i, r := range f.Peers {
		if r.ID.IsZero() {
			return nil, nil, fmt.Errorf("peers[%d]: no id: %w", i, ErrMalformed)
		}
		if _, dup := seen[r.ID]; dup {
			return nil, nil, fmt.Errorf("peers[%d]: duplicate id %s: %w", i, r.ID, ErrMalformed)
		}
		seen[r.ID] = struct{}{}
		if len(r.Listeners) > 100 {
			return nil, nil, fmt.Errorf("peers[%d]: %d listeners: %w", i, len(r.Listeners), ErrMalformed)
		}
		for _, l := range r.Listeners {
			if !l.IsValid() {
				return nil, nil, fmt.Errorf("peers[%d]: invalid listener: %w", i, ErrMalformed)
			}
		}
	}
	for i, ip := range f.BannedIPs {
		if !ip.IP.IsValid() {
			return nil, nil, fmt.Errorf("banned_ips[%d]: invalid ip: %w", i, ErrMalformed)
		}
	}
	return f.Peers, f.BannedIPs, nil
}

// Save writes the book atomically (temporary file, fsync, rename). A book
// without a path is not saved.
func (b *PeerBook) Save() error {
	b.mu.Lock()
	if b.path == "" {
		b.mu.Unlock()
		return nil
	}
	f := peerBookFile{Peers: make([]PeerRecord, 0, len(b.peers)), BannedIPs: []BannedIP{}}
	for _, r := range b.peers {
		f.Peers = append(f.Peers, *r)
	}
	for ip, until := range b.bannedIPs {
		f.BannedIPs = append(f.BannedIPs, BannedIP{IP: ip, UntilMS: until})
	}
	b.dirty = false
	path := b.path
	b.mu.Unlock()
	// Sorted, so that two saves of the same book give the same bytes.
	slices.SortFunc(f.Peers, func(x, y PeerRecord) int { return x.ID.Compare(y.ID) })
	slices.SortFunc(f.BannedIPs, func(x, y BannedIP) int { return x.IP.Compare(y.IP) })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save peer book %s: %w", path, err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
		return fmt.Errorf("save peer book %s: %w", path, err)
	}
	return nil
}

// saveIfDirty saves when something changed since the last save.
func (b *PeerBook) saveIfDirty() error {
	b.mu.Lock()
	dirty := b.dirty
	b.mu.Unlock()
	if !dirty {
		return nil
	}
	return b.Save()
}

// writeFileAtomic replaces path by data so that a crash leaves either the
// old or the new file, never a mix.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: the rename is what matters
		d.Close()
	}
	return nil
}

// Peers returns a copy of every record, sorted by id.
func (b *PeerBook) Peers() []PeerRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]PeerRecord, 0, len(b.peers))
	for _, r := range b.peers {
		c := *r
		c.Listeners = slices.Clone(r.Listeners)
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y PeerRecord) int { return x.ID.Compare(y.ID) })
	return out
}

// Len is the number of nodes known.
func (b *PeerBook) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.peers)
}

// addInitial records a configured peer.
func (b *PeerBook) addInitial(p PeerAddr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.NodeID.IsZero() {
		for _, a := range b.anon {
			if a.addr == p.Addr {
				return
			}
		}
		b.anon = append(b.anon, &anonPeer{addr: p.Addr})
		return
	}
	r := b.recordLocked(p.NodeID)
	if r == nil {
		return
	}
	r.Initial = true
	if !slices.Contains(r.Listeners, p.Addr) {
		r.Listeners = append([]netip.AddrPort{p.Addr}, r.Listeners...)
	}
	b.dirty = true
}

// recordLocked returns the record of id, creating it (and evicting another
// when the book is full). Nil when the book is full of peers worth keeping.
func (b *PeerBook) recordLocked(id PeerID) *PeerRecord {
	if r := b.peers[id]; r != nil {
		return r
	}
	if len(b.peers) >= b.max && !b.evictLocked() {
		return nil
	}
	r := &PeerRecord{ID: id}
	b.peers[id] = r
	b.dirty = true
	return r
}

// evictLocked drops the least useful of a few records (map order is
// random): never initial or banned ones, preferring the most failures and
// the oldest success. It looks at a bounded sample so that a full book
// costs the same as an empty one.
func (b *PeerBook) evictLocked() bool {
	nowMS := b.now().UnixMilli()
	var worst *PeerRecord
	n := 0
	for _, r := range b.peers {
		if n++; n > 64 {
			break
		}
		if r.Initial || r.BannedUntilMS > nowMS {
			continue
		}
		if worst == nil || r.Failures > worst.Failures ||
			(r.Failures == worst.Failures && r.LastSuccessMS < worst.LastSuccessMS) {
			worst = r
		}
	}
	if worst == nil {
		return false
	}
	delete(b.peers, worst.ID)
	return true
}

// forgetAnon drops an anonymous initial peer (it was ourselves).
func (b *PeerBook) forgetAnon(addr netip.AddrPort) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.anon = slices.DeleteFunc(b.anon, func(a *anonPeer) bool { return a.addr == addr })
}

// identify turns an anonymous initial peer into an initial peer with its
// id, once a handshake told us who answers at addr.
func (b *PeerBook) identify(addr netip.AddrPort, id PeerID) {
	b.mu.Lock()
	found := false
	b.anon = slices.DeleteFunc(b.anon, func(a *anonPeer) bool {
		found = found || a.addr == addr
		return a.addr == addr
	})
	b.mu.Unlock()
	if found {
		b.addInitial(PeerAddr{Addr: addr, NodeID: id})
	}
}

// learn records listeners announced for id (replacing the previous ones).
// Nodes announcing no listener are not worth a record.
func (b *PeerBook) learn(id PeerID, listeners []netip.AddrPort) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(listeners) == 0 {
		return
	}
	r := b.recordLocked(id)
	if r == nil {
		return
	}
	if slices.Equal(r.Listeners, listeners) {
		return
	}
	if r.Initial {
		// Keep the configured address first.
		for _, l := range listeners {
			if !slices.Contains(r.Listeners, l) {
				r.Listeners = append(r.Listeners, l)
			}
		}
	} else {
		r.Listeners = slices.Clone(listeners)
	}
	b.dirty = true
}

// ban bans id until the given time.
func (b *PeerBook) ban(id PeerID, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.peers[id]
	if r == nil {
		// A ban must stick even when the book is full.
		r = &PeerRecord{ID: id}
		b.peers[id] = r
	}
	r.BannedUntilMS = until.UnixMilli()
	b.dirty = true
}

// unban lifts the ban of id.
func (b *PeerBook) unban(id PeerID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.peers[id]; r != nil && r.BannedUntilMS != 0 {
		r.BannedUntilMS = 0
		b.dirty = true
	}
}

// IsBanned reports whether id is banned now.
func (b *PeerBook) IsBanned(id PeerID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.peers[id]
	return r != nil && r.BannedUntilMS > b.now().UnixMilli()
}

// banIP bans ip until the given time.
func (b *PeerBook) banIP(ip netip.Addr, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bannedIPs[ip.Unmap()] = until.UnixMilli()
	b.dirty = true
}

// unbanIP lifts the ban of ip.
func (b *PeerBook) unbanIP(ip netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.bannedIPs[ip.Unmap()]; ok {
		delete(b.bannedIPs, ip.Unmap())
		b.dirty = true
	}
}

// IsIPBanned reports whether ip is banned now.
func (b *PeerBook) IsIPBanned(ip netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.bannedIPs[ip.Unmap()]
	return ok && until > b.now().UnixMilli()
}

// counts returns the number of banned ids and IPs.
func (b *PeerBook) counts() (peers, bannedIDs, bannedIPs int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	nowMS := b.now().UnixMilli()
	for _, r := range b.peers {
		if r.BannedUntilMS > nowMS {
			bannedIDs++
		}
	}
	for _, until := range b.bannedIPs {
		if until > nowMS {
			bannedIPs++
		}
	}
	return len(b.peers), bannedIDs, bannedIPs
}

// recordSuccess notes a completed handshake with id.
func (b *PeerBook) recordSuccess(id PeerID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.peers[id]; r != nil {
		r.LastSuccessMS = b.now().UnixMilli()
		r.Failures = 0
		b.dirty = true
	}
}

// recordFailure notes a failed connection to id (zero: an anonymous
// initial peer, nothing to record).
func (b *PeerBook) recordFailure(id PeerID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.peers[id]; r != nil {
		r.LastFailureMS = b.now().UnixMilli()
		r.Failures++
		b.dirty = true
	}
}

// dialTarget is a node to dial.
type dialTarget struct {
	id   PeerID // zero for an anonymous initial peer
	addr netip.AddrPort
}

// dialCandidates picks up to n nodes to dial: not tried within retry, not
// banned, not skipped by the caller (connected, self, dialing), initial
// peers first, then by fewest failures and latest success. Each one
// returned is marked as tried now.
func (b *PeerBook) dialCandidates(n int, retry time.Duration, skipID func(PeerID) bool, skipAddr func(netip.AddrPort) bool) []dialTarget {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	nowMS := now.UnixMilli()
	var out []dialTarget
	for _, a := range b.anon {
		if len(out) >= n {
			return out
		}
		if now.Sub(a.lastTry) < retry || skipAddr(a.addr) || b.ipBannedLocked(a.addr.Addr(), nowMS) {
			continue
		}
		a.lastTry = now
		out = append(out, dialTarget{addr: a.addr})
	}
	var cands []*PeerRecord
	for _, r := range b.peers {
		if len(r.Listeners) == 0 || r.BannedUntilMS > nowMS || now.Sub(r.lastTry) < retry || skipID(r.ID) {
			continue
		}
		cands = append(cands, r)
	}
	slices.SortFunc(cands, func(x, y *PeerRecord) int {
		if x.Initial != y.Initial {
			if x.Initial {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(x.Failures, y.Failures); c != 0 {
			return c
		}
		if c := cmp.Compare(y.LastSuccessMS, x.LastSuccessMS); c != 0 {
			return c
		}
		return x.ID.Compare(y.ID)
	})
	for _, r := range cands {
		if len(out) >= n {
			break
		}
		for _, l := range r.Listeners {
			if skipAddr(l) || b.ipBannedLocked(l.Addr(), nowMS) {
				continue
			}
			r.lastTry = now
			out = append(out, dialTarget{id: r.ID, addr: l})
			break
		}
	}
	return out
}

func (b *PeerBook) ipBannedLocked(ip netip.Addr, nowMS int64) bool {
	until, ok := b.bannedIPs[ip.Unmap()]
	return ok && until > nowMS
}

// randomPeers returns up to n random unbanned nodes with listeners, except
// exclude, for ListPeers.
func (b *PeerBook) randomPeers(n int, exclude PeerID) []PeerListeners {
	b.mu.Lock()
	defer b.mu.Unlock()
	nowMS := b.now().UnixMilli()
	var all []*PeerRecord
	for _, r := range b.peers {
		if len(r.Listeners) > 0 && r.BannedUntilMS <= nowMS && r.ID != exclude {
			all = append(all, r)
		}
	}
	// Sort first so that the seeded shuffle alone decides the choice.
	slices.SortFunc(all, func(x, y *PeerRecord) int { return x.ID.Compare(y.ID) })
	b.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	if len(all) > n {
		all = all[:n]
	}
	out := make([]PeerListeners, 0, len(all))
	for _, r := range all {
		pl := PeerListeners{ID: r.ID}
		for _, l := range r.Listeners {
			pl.Listeners = append(pl.Listeners, Listener{Addr: l, Transport: TransportTCP})
		}
		out = append(out, pl)
	}
	return out
}
