package bench

import (
	"errors"
	"os"
	"testing"
	"time"
)

const statusSample = "Name:\tmassa-node\nVmPeak:\t 2000000 kB\nVmHWM:\t  812345 kB\nVmRSS:\t  700000 kB\nThreads:\t12\n"

// A command name may hold spaces and parentheses: fields are counted from the last ')'.
const statSample = "4242 (massa (node) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 12 0 100 0 0\n"

func TestParseProc(t *testing.T) {
	peak, rss, err := ParseStatus([]byte(statusSample))
	if err != nil || peak != 812345<<10 || rss != 700000<<10 {
		t.Fatalf("ParseStatus = %d, %d, %v", peak, rss, err)
	}
	cpu, err := ParseStat([]byte(statSample))
	if err != nil || cpu != (1234+567)*10*time.Millisecond {
		t.Fatalf("ParseStat = %v, %v", cpu, err)
	}
	for _, bad := range []string{"", "VmHWM:\t12 kB\n", "VmHWM:\tx kB\nVmRSS:\t1 kB\n", "VmHWM:\t1 MB\nVmRSS:\t1 kB\n"} {
		if _, _, err := ParseStatus([]byte(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseStatus(%q): %v", bad, err)
		}
	}
	for _, bad := range []string{"", "12 (x) S 1 2", "12 (x) S 1 2 3 4 5 6 7 8 9 10 -5 6"} {
		if _, err := ParseStat([]byte(bad)); !errors.Is(err, ErrProcFormat) {
			t.Errorf("ParseStat(%q): %v", bad, err)
		}
	}
}

func TestReadProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PeakRSS <= 0 || s.RSS <= 0 || s.PeakRSS < s.RSS {
		t.Fatalf("implausible: %+v", s)
	}
}

func FuzzParseProc(f *testing.F) {
	f.Add([]byte(statusSample))
	f.Add([]byte(statSample))
	f.Add([]byte("VmHWM: 1 kB\nVmRSS: 99999999999999999999 kB\n"))
	f.Add([]byte(") ) ) 1 2 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if peak, rss, err := ParseStatus(b); err == nil && (peak < 0 || rss < 0) {
			t.Fatalf("negative sizes %d %d", peak, rss)
		} else if err != nil && !errors.Is(err, ErrProcFormat) {
			t.Fatalf("untyped error %v", err)
		}
		if cpu, err := ParseStat(b); err == nil && cpu < 0 {
			t.Fatalf("negative CPU %v", cpu)
		} else if err != nil && !errors.Is(err, ErrProcFormat) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
