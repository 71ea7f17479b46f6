package clock

import (
	"context"
	"sync"
	"testing"
	"time"
)

var epoch = time.UnixMilli(1_000_000)

func recv(t *testing.T, ch <-chan time.Time) (time.Time, bool) {
	t.Helper()
	select {
	case v := <-ch:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestSimulatedFiresInOrder(t *testing.T) {
	c := NewSimulated(epoch)
	var order []int
	type tm struct {
		id int
		t  Timer
	}
	timers := []tm{
		{1, c.NewTimer(300 * time.Millisecond)},
		{2, c.NewTimer(100 * time.Millisecond)},
		{3, c.NewTimer(200 * time.Millisecond)},
		{4, c.NewTimer(100 * time.Millisecond)}, // same deadline as 2: fires after it
		{5, c.NewTimer(time.Second)},
	}
	if n := c.PendingTimers(); n != 5 {
		t.Fatalf("pending = %d", n)
	}
	// Each fired timer delivers its own deadline, not the final time.
	c.Advance(500 * time.Millisecond)
	for _, x := range timers {
		if v, ok := recv(t, x.t.C()); ok {
			order = append(order, x.id)
			if want := epoch.Add(map[int]time.Duration{1: 300, 2: 100, 3: 200, 4: 100}[x.id] * time.Millisecond); !v.Equal(want) {
				t.Fatalf("timer %d delivered %v, want %v", x.id, v, want)
			}
		}
	}
	if len(order) != 4 {
		t.Fatalf("fired %v, want 1..4", order)
	}
	if !c.Now().Equal(epoch.Add(500 * time.Millisecond)) {
		t.Fatalf("now = %v", c.Now())
	}
	if _, ok := recv(t, timers[4].t.C()); ok {
		t.Fatal("timer 5 fired early")
	}
	if !c.AdvanceToNextTimer() {
		t.Fatal("no next timer")
	}
	if _, ok := recv(t, timers[4].t.C()); !ok || !c.Now().Equal(epoch.Add(time.Second)) {
		t.Fatal("timer 5 did not fire at its deadline")
	}
	if c.AdvanceToNextTimer() {
		t.Fatal("no timer should remain")
	}
}

// Timers due at the same instant all fire; ties go in creation order.
func TestSimulatedTieOrder(t *testing.T) {
	c := NewSimulated(epoch)
	var chans []<-chan time.Time
	for range 10 {
		chans = append(chans, c.After(50*time.Millisecond))
	}
	c.Advance(50 * time.Millisecond)
	for i, ch := range chans {
		if _, ok := recv(t, ch); !ok {
			t.Fatalf("timer %d did not fire", i)
		}
	}
	c2 := NewSimulated(epoch)
	a := c2.NewTimer(10 * time.Millisecond).(*simTimer)
	b := c2.NewTimer(10 * time.Millisecond).(*simTimer)
	if !c2.timers.Less(a.index, b.index) {
		t.Fatal("earlier-created timer must fire first on a tie")
	}
}

func TestSimulatedStopAndImmediate(t *testing.T) {
	c := NewSimulated(epoch)
	tm := c.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	c.Advance(2 * time.Second)
	if _, ok := recv(t, tm.C()); ok {
		t.Fatal("stopped timer fired")
	}
	now := c.NewTimer(0)
	if v, ok := recv(t, now.C()); !ok || !v.Equal(c.Now()) {
		t.Fatal("zero-duration timer must fire at once")
	}
	if now.Stop() {
		t.Fatal("Stop of a fired timer returned true")
	}
	if c.PendingTimers() != 0 {
		t.Fatal("pending timers left")
	}
}

func TestSimulatedSetBackwards(t *testing.T) {
	c := NewSimulated(epoch)
	tm := c.NewTimer(time.Second)
	c.Set(epoch.Add(-time.Hour))
	if _, ok := recv(t, tm.C()); ok {
		t.Fatal("timer fired when the clock went back")
	}
	c.Advance(-time.Second) // ignored
	if !c.Now().Equal(epoch.Add(-time.Hour)) {
		t.Fatal("negative Advance moved the clock")
	}
	c.Set(epoch.Add(time.Second))
	if _, ok := recv(t, tm.C()); !ok {
		t.Fatal("timer did not fire at its deadline")
	}
	if c.NowMS() != 1_001_000 {
		t.Fatalf("NowMS = %d", c.NowMS())
	}
}

// A service goroutine arms timers; the test waits for them without sleeping
// and advances the clock. Run with -race.
func TestSimulatedConcurrent(t *testing.T) {
	c := NewSimulatedMS(1_000_000)
	p := Params{GenesisTimestamp: 1_000_000, T0: 1000, ThreadCount: 4}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	slots := make(chan uint64, 16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 8 {
			next := p.NextSlotAfter(c.NowMS())
			tm := c.NewTimer(UntilMS(c, p.SlotTimestamp(next)))
			select {
			case <-tm.C():
				slots <- next.Index(p.ThreadCount)
			case <-ctx.Done():
				tm.Stop()
				return
			}
		}
	}()
	for i := range 8 {
		if err := c.WaitForTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		c.AdvanceToNextTimer()
		select {
		case got := <-slots:
			if got != uint64(i+1) {
				t.Fatalf("woke for slot index %d, want %d", got, i+1)
			}
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	wg.Wait()
	if c.NowMS() != 1_000_000+8*250 {
		t.Fatalf("now = %d", c.NowMS())
	}
}

func TestWaitForTimersCancel(t *testing.T) {
	c := NewSimulated(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitForTimers(ctx, 1); err == nil {
		t.Fatal("expected context error")
	}
}

func TestRealClock(t *testing.T) {
	c := Real()
	if c.NowMS() == 0 {
		t.Fatal("real clock reads 0")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("stop failed")
	}
	<-c.After(0)
	if ToMS(time.UnixMilli(-5)) != 0 || FromMS(1234).UnixMilli() != 1234 {
		t.Fatal("ms conversions")
	}
}
