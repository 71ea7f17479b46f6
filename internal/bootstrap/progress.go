package bootstrap

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ProgressPrinter shows a client's Progress: on a terminal, one status
// line redrawn in place (a bar when the server sent totals, bytes,
// entries, rate and ETA); elsewhere an info log line at most every Every.
type ProgressPrinter struct {
	w     io.Writer
	tty   bool
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	last   time.Time
	drawn  bool
	lastPr Progress
}

// NewProgressPrinter writes the bar to w when tty is true, else logs.
func NewProgressPrinter(w io.Writer, tty bool, log *slog.Logger) *ProgressPrinter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ProgressPrinter{w: w, tty: tty, log: log, every: 5 * time.Second, now: time.Now}
}

// Update takes a new progress report (ClientConfig.OnProgress).
func (p *ProgressPrinter) Update(pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastPr = pr
	now := p.now()
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond && !pr.StateDone {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "\r%s\x1b[K", progressLine(pr))
		p.drawn = true
		return
	}
	if !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	args := []any{"server", pr.Server, "slot", pr.Slot, "entries", pr.Entries, "mb", fmt.Sprintf("%.1f", mb(pr.Bytes)),
		"rate_mb_s", fmt.Sprintf("%.1f", rate(pr))}
	if pr.Totals.Bytes > 0 {
		args = append(args, "percent", fmt.Sprintf("%.0f", percent(pr)), "eta", eta(pr))
	}
	p.log.Info("bootstrap progress", args...)
}

// Done ends the bar's line.
func (p *ProgressPrinter) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", progressLine(p.lastPr))
		p.drawn = false
	}
}

func mb(b uint64) float64 { return float64(b) / 1e6 }

func rate(pr Progress) float64 {
	if pr.Elapsed <= 0 {
		return 0
	}
	return mb(pr.SessionBytes) / pr.Elapsed.Seconds()
}

func percent(pr Progress) float64 {
	if pr.Totals.Bytes == 0 {
		return 0
	}
	return min(100, 100*float64(pr.Bytes)/float64(pr.Totals.Bytes))
}

func eta(pr Progress) time.Duration {
	r := rate(pr) * 1e6
	if r <= 0 || pr.Totals.Bytes <= pr.Bytes {
		return 0
	}
	return time.Duration(float64(pr.Totals.Bytes-pr.Bytes) / r * float64(time.Second)).Round(time.Second)
}

// progressLine renders one line.
func progressLine(pr Progress) string {
	var b strings.Builder
	b.WriteString("bootstrap ")
	if pr.Totals.Bytes > 0 {
		const width = 30
		filled := int(percent(pr) / 100 * width)
		b.WriteString("[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] ")
		fmt.Fprintf(&b, "%3.0f%%  %.1f/%.1f MB  %d/%d entries", percent(pr), mb(pr.Bytes), mb(pr.Totals.Bytes), pr.Entries, pr.Totals.Entries)
	} else {
		fmt.Fprintf(&b, "%.1f MB  %d entries", mb(pr.Bytes), pr.Entries)
	}
	fmt.Fprintf(&b, "  %.1f MB/s", rate(pr))
	if pr.StateDone {
		fmt.Fprintf(&b, "  state done, %d final blocks", pr.Blocks)
	} else if d := eta(pr); d > 0 {
		fmt.Fprintf(&b, "  ETA %s", d)
	}
	return b.String()
}
