package bootstrap

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/store"
	"github.com/gomassa/gomassa/internal/types"
)

func TestBootstrapLargeState(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 5_000
	}
	src := openStore(t)
	slot := fillStore(t, src, n, types.Slot{Period: 3})
	srv := startServer(t, src, func(c *ServerConfig) { c.PartBytes = 1 << 20 })

	dst := openStore(t)
	sink := &memBlocks{}
	cfg := clientConfig(srv.addr())
	var last Progress
	parts := 0
	cfg.OnProgress = func(p Progress) { last, parts = p, parts+1 }
	res, err := Run(context.Background(), cfg, dst, sink)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := dst.FinalSlot(); !ok || got != slot || res.Slot != slot {
		t.Fatalf("final slot %v (%v), result %v, want %v", got, ok, res.Slot, slot)
	}
	if dst.Fingerprint() != src.Fingerprint() || res.Fingerprint != src.Fingerprint() {
		t.Fatalf("fingerprint %s, server %s", dst.Fingerprint(), src.Fingerprint())
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
	if res.Entries != uint64(2*n+2) || res.Resumed {
		t.Fatalf("result %+v", res)
	}
	if len(sink.blocks) != 7 || res.Blocks != 7 || len(srv.blocks.asked) != 1 || srv.blocks.asked[0] != slot {
		t.Fatalf("blocks: %d saved, asked for %v", len(sink.blocks), srv.blocks.asked)
	}
	if len(res.Peers) != 1 || res.Peers[0].ID != testPeers()[0].ID {
		t.Fatalf("peers %+v", res.Peers)
	}
	if parts < 3 || !last.StateDone || last.Entries != res.Entries {
		t.Fatalf("progress: %d reports, last %+v", parts, last)
	}
	t.Logf("%d entries, %.1f MB in %s", res.Entries, float64(res.Bytes)/1e6, res.Duration)
}

// interrupt runs a client that is killed (its context cancelled) after
// `after` parts, leaving a load in progress.
func interrupt(t *testing.T, srv *testServer, dst *store.Store, after int) store.LoadProgress {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := clientConfig(srv.addr())
	parts := 0
	cfg.OnProgress = func(Progress) {
		if parts++; parts == after {
			cancel()
		}
	}
	if _, err := Run(ctx, cfg, dst, &memBlocks{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted bootstrap: %v", err)
	}
	p, ok := dst.LoadInProgress()
	if !ok || p.Entries == 0 {
		t.Fatalf("no load in progress after the interruption: %+v", p)
	}
	return p
}

func TestResumeFromLastKey(t *testing.T) {
	src := openStore(t)
	fillStore(t, src, 20_000, types.Slot{Period: 3})
	srv := startServer(t, src, func(c *ServerConfig) { c.PartBytes = 64 << 10 })
	dir := t.TempDir()
	dst, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	p := interrupt(t, srv, dst, 4)
	// The node restarts: the load survives a close and reopen.
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if dst, err = store.Open(dir, store.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	sink := &memBlocks{}
	res, err := Run(context.Background(), clientConfig(srv.addr()), dst, sink)
	if err != nil {
		t.Fatal(err)
	}
	total := uint64(2*20_000 + 2)
	if !res.Resumed || res.Entries+p.Entries != total {
		t.Fatalf("resumed=%v: %d entries this session + %d before, want %d in all", res.Resumed, res.Entries, p.Entries, total)
	}
	if dst.Fingerprint() != src.Fingerprint() {
		t.Fatal("fingerprint differs after a resumed bootstrap")
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
	if sink.wiped != 0 || len(sink.blocks) != 7 {
		t.Fatalf("blocks: %d saved, %d wipes", len(sink.blocks), sink.wiped)
	}
}

func TestResumeAfterServerLostSnapshotStartsOver(t *testing.T) {
	src := openStore(t)
	slot := fillStore(t, src, 20_000, types.Slot{Period: 3})
	srv := startServer(t, src, func(c *ServerConfig) { c.PartBytes = 64 << 10 })
	dst := openStore(t)
	p := interrupt(t, srv, dst, 3)
	if p.Slot != slot {
		t.Fatalf("loading slot %v, want %v", p.Slot, slot)
	}
	// The server moves on and forgets the snapshot.
	b := src.NewBatch()
	b.Put([]byte(store.PrefixLedger+"late"), []byte("x"))
	newSlot := slot.Next(testThreads)
	if err := src.Commit(b, newSlot); err != nil {
		t.Fatal(err)
	}
	// The server notices the dead connection, then forgets the snapshot.
	for deadline := time.Now().Add(time.Minute); srv.Sessions() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the interrupted session never ended on the server")
		}
	}
	srv.DropSnapshots()

	sink := &memBlocks{}
	res, err := Run(context.Background(), clientConfig(srv.addr()), dst, sink)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed || res.Slot != newSlot || res.Entries != uint64(2*20_000+3) {
		t.Fatalf("result %+v", res)
	}
	if s, _ := dst.FinalSlot(); s != newSlot || dst.Fingerprint() != src.Fingerprint() {
		t.Fatalf("slot %v fingerprint %s, server %v %s", s, dst.Fingerprint(), newSlot, src.Fingerprint())
	}
	if sink.wiped != 1 {
		t.Fatalf("blocks wiped %d times, want 1", sink.wiped)
	}
}

func TestRefusals(t *testing.T) {
	src := openStore(t)
	fillStore(t, src, 100, types.Slot{Period: 3})

	t.Run("max_ping", func(t *testing.T) {
		srv := startServer(t, src, nil)
		cfg := clientConfig(srv.addr())
		cfg.MaxPing = 5 * time.Second
		cfg.MaxClockDelta = time.Hour
		cfg.Now = steppingClock(3 * time.Second)
		_, err := Run(context.Background(), cfg, openStore(t), &memBlocks{})
		if !errors.Is(err, ErrPing) || !strings.Contains(err.Error(), "more than [bootstrap] max_ping = 5000 ms in /home/test/config/config.toml") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("clock_drift", func(t *testing.T) {
		srv := startServer(t, src, func(c *ServerConfig) {
			c.Now = func() time.Time { return time.Now().Add(7 * time.Second) }
		})
		_, err := Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{})
		if !errors.Is(err, ErrClock) || !strings.Contains(err.Error(), "ahead of this computer's, more than [bootstrap] max_clock_delta = 5000 ms") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("per_ip_interval", func(t *testing.T) {
		srv := startServer(t, src, func(c *ServerConfig) { c.PerIPMinInterval = time.Hour })
		if _, err := Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{}); err != nil {
			t.Fatal(err)
		}
		_, err := Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{})
		var ref *RefusedError
		if !errors.As(err, &ref) || ref.RetryAfter < 59*time.Minute || ref.RetryAfter > time.Hour ||
			!strings.Contains(ref.Text, "per_ip_min_interval") || !strings.Contains(ref.Text, "try again in") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("too_many_simultaneous", func(t *testing.T) {
		srv := startServer(t, src, func(c *ServerConfig) { c.MaxSimultaneous = 1; c.PerIPMinInterval = 0 })
		// A first client holds the only session after its handshake.
		hold, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Close()
		if _, err := hold.Write(handshake(testVersion, [RandomSize]byte{})); err != nil {
			t.Fatal(err)
		}
		c := chain{prev: crypto.HashOf(handshake(testVersion, [RandomSize]byte{})), has: true}
		if _, err := readServerFrame(hold, srv.key.Public(), &c, 1<<20); err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{})
		var ref *RefusedError
		if !errors.As(err, &ref) || ref.RetryAfter != 30*time.Second || !strings.Contains(ref.Text, "max_simultaneous_bootstraps") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("blacklist", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bootstrap_blacklist.json")
		if err := os.WriteFile(path, []byte(`["127.0.0.1"]`), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, src, func(c *ServerConfig) { c.BlacklistPath = path })
		_, err := Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "blacklist") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("whitelist", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bootstrap_whitelist.json")
		if err := os.WriteFile(path, []byte(`["203.0.113.9"]`), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := startServer(t, src, func(c *ServerConfig) { c.WhitelistPath = path })
		_, err := Run(context.Background(), clientConfig(srv.addr()), openStore(t), &memBlocks{})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not in the whitelist") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("wrong_server_key", func(t *testing.T) {
		srv := startServer(t, src, nil)
		a := srv.addr()
		a.ID = testKey(2).Public()
		dst := openStore(t)
		_, err := Run(context.Background(), clientConfig(a), dst, &memBlocks{})
		if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), a.ID.NodeID()) {
			t.Fatalf("err = %v", err)
		}
		if _, ok := dst.LoadInProgress(); ok {
			t.Fatal("a load started from an unauthenticated server")
		}
	})

	t.Run("incompatible_version", func(t *testing.T) {
		srv := startServer(t, src, nil)
		cfg := clientConfig(srv.addr())
		cfg.Version.Major = 6
		_, err := Run(context.Background(), cfg, openStore(t), &memBlocks{})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not compatible") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("next_server_after_refusal", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bootstrap_blacklist.json")
		if err := os.WriteFile(path, []byte(`["127.0.0.1"]`), 0o600); err != nil {
			t.Fatal(err)
		}
		bad := startServer(t, src, func(c *ServerConfig) { c.BlacklistPath = path; c.Key = testKey(3) })
		good := startServer(t, src, nil)
		badAddr := bad.addr()
		badAddr.ID = testKey(3).Public()
		cfg := clientConfig(badAddr, good.addr())
		cfg.MaxRounds = 2
		res, err := Run(context.Background(), cfg, openStore(t), &memBlocks{})
		if err != nil || res.Server.ID != good.key.Public() {
			t.Fatalf("res %+v err %v", res, err)
		}
	})
}

func TestSnapshotCacheBounds(t *testing.T) {
	src := openStore(t)
	slot := fillStore(t, src, 10, types.Slot{Period: 3})
	now := time.Now()
	c := &snapshots{src: StoreSource{Store: src}, max: 2, ttl: time.Minute, now: func() time.Time { return now }}
	defer c.closeAll()
	for i := range 4 {
		e, err := c.fresh()
		if err != nil {
			t.Fatal(err)
		}
		c.release(e)
		b := src.NewBatch()
		b.Put([]byte(store.PrefixLedger+"x"), []byte{byte(i)})
		slot = slot.Next(testThreads)
		if err := src.Commit(b, slot); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if got := c.held(); len(got) != 2 {
		t.Fatalf("held %v, want the 2 newest", got)
	}
	now = now.Add(2 * time.Minute)
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	if got := c.held(); len(got) != 0 {
		t.Fatalf("held %v after the TTL", got)
	}
}
