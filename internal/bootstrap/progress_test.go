package bootstrap

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestProgressPrinter(t *testing.T) {
	pr := Progress{Server: "1.2.3.4:31245", Entries: 500, Bytes: 50e6, SessionBytes: 50e6, Elapsed: 2 * time.Second,
		Totals: Totals{Entries: 1000, Bytes: 100e6}}
	var tty bytes.Buffer
	p := NewProgressPrinter(&tty, true, nil)
	p.Update(pr)
	p.Done()
	line := tty.String()
	for _, want := range []string{"[===============               ]", " 50%", "50.0/100.0 MB", "500/1000 entries", "25.0 MB/s", "ETA 2s"} {
		if !strings.Contains(line, want) {
			t.Fatalf("bar %q lacks %q", line, want)
		}
	}
	var logs bytes.Buffer
	p = NewProgressPrinter(nil, false, slog.New(slog.NewTextHandler(&logs, nil)))
	p.Update(pr)
	p.Update(pr) // within Every: not logged again
	if n := strings.Count(logs.String(), "bootstrap progress"); n != 1 || !strings.Contains(logs.String(), "percent=50") {
		t.Fatalf("log lines: %q", logs.String())
	}
}
