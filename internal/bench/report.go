package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gomassa/gomassa/internal/types"
)

// Report is the result of one run; its JSON form is massa-bench --json.
type Report struct {
	Version   int    `json:"version"`
	Params    string `json:"params"`
	Target    string `json:"target"`
	StartedAt string `json:"started_at"`
	Machine   struct {
		Cores      int `json:"cores"`
		GOMAXPROCS int `json:"gomaxprocs"`
	} `json:"machine"`
	Network NetworkInfo `json:"network"`
	Raw     RawLimits   `json:"raw_limits"`
	Load    struct {
		Senders        int     `json:"senders"`
		Batch          int     `json:"batch"`
		Conns          int     `json:"conns"`
		RateTarget     float64 `json:"rate_target"` // 0 = as fast as accepted
		DurationS      float64 `json:"duration_s"`
		PresignedOps   int     `json:"presigned_ops"`
		SignSeconds    float64 `json:"sign_seconds"`
		AvgOpBytes     float64 `json:"avg_op_bytes"`
		AcceptedPerSec float64 `json:"accepted_per_sec"`
		BenchCPUCores  float64 `json:"bench_cpu_cores"` // the load generator's own CPU during the load
		LoadStats
	} `json:"load"`
	Final struct {
		Ops             uint64  `json:"final_ops"`
		AllFinal        bool    `json:"all_accepted_final"`
		SustainedPerSec float64 `json:"sustained_final_per_sec"`
		WindowS         float64 `json:"window_s"`
		Window          string  `json:"window"`
		DrainS          float64 `json:"drain_s"`
	} `json:"final"`
	Cap     CapInfo       `json:"cap"`
	Latency LatencyReport `json:"latency"`
	Node    struct {
		PID          int    `json:"pid"`
		Available    bool   `json:"available"`
		Note         string `json:"note,omitempty"`
		PeakRSSBytes int64  `json:"peak_rss_bytes"`
		// RSS when the load ended, and its growth over the load's second
		// half: a positive slope means the peak was not reached yet.
		RSSAtLoadEndBytes int64   `json:"rss_at_load_end_bytes"`
		RSSGrowthMBPerMin float64 `json:"rss_growth_mb_per_min"`
		CPUSecondsLoad    float64 `json:"cpu_seconds_load"`
		CPUCoresLoad      float64 `json:"cpu_cores_load"`
		CPUShareLoad      float64 `json:"cpu_share_load"` // of all cores, during the load
		// CPUShareSteady: the steady state, when the node takes operations
		// in, executes and finalizes them at once (0 for loads too short).
		CPUCoresSteady  float64 `json:"cpu_cores_steady"`
		CPUShareSteady  float64 `json:"cpu_share_steady"`
		CPUWindowS      float64 `json:"cpu_window_s"`
		CPUSecondsTotal float64 `json:"cpu_seconds_total"`
		CPUPerFinalOpUS float64 `json:"cpu_per_final_op_us"`
		CPUShareAtCap   float64 `json:"cpu_share_at_cap"` // per-op cost times the cap
	} `json:"node"`
	Profile ProfileInfo `json:"profile"`
	Heap    ProfileInfo `json:"heap_profile"`
	Targets []Target    `json:"targets"`
	// Timeline samples the node every second from the start of the load.
	Timeline []TimePoint `json:"timeline"`
}

// TimePoint is one sample of the timeline.
type TimePoint struct {
	T     float64 `json:"t_s"`       // since the load started
	Final uint64  `json:"final_ops"` // final operations since the load started
	Pool  uint64  `json:"pool_ops"`
	RSS   int64   `json:"rss_bytes,omitempty"`
	CPU   float64 `json:"cpu_s,omitempty"` // node CPU time used since it started
}

// NetworkInfo are the parameters the run used.
type NetworkInfo struct {
	ChainID          uint64 `json:"chain_id"`
	Threads          uint8  `json:"threads"`
	T0ms             uint64 `json:"t0_ms"`
	DeltaF0          uint64 `json:"delta_f0"`
	EndorsementCount uint32 `json:"endorsement_count"`
	MaxBlockSize     uint32 `json:"max_block_size"`
	MaxOpsPerBlock   uint32 `json:"max_operations_per_block"`
	MaxGasPerBlock   uint64 `json:"max_gas_per_block"`
	MinimalFee       string `json:"minimal_fee"`
}

// CapInfo is the most the parameters let final blocks carry.
type CapInfo struct {
	OpsPerBlock int     `json:"ops_per_block"`
	BoundBy     string  `json:"bound_by"` // the limit that binds
	OpsPerSec   float64 `json:"ops_per_sec"`
	Share       float64 `json:"share"` // sustained final rate / cap
}

// LatencyReport is submission-to-finality latency of the sampled operations.
type LatencyReport struct {
	Samples  int     `json:"samples"`
	NotFinal int     `json:"not_final"`
	P50ms    float64 `json:"p50_ms"`
	P95ms    float64 `json:"p95_ms"`
	MinMs    float64 `json:"min_ms"`
	MaxMs    float64 `json:"max_ms"`
	// BlocksToFinal fully endorsed blocks (delta_f0/(E+1)+1) after an
	// operation's block make it final: ChainFloorMs at one block per slot.
	BlocksToFinal uint64  `json:"blocks_to_final"`
	ChainFloorMs  float64 `json:"chain_floor_ms"`
	// ChainPlusWait adds the median wait for the sender's thread's next
	// slot (t0/2) for operations submitted at random times.
	ChainPlusWait float64 `json:"chain_plus_median_wait_ms"`
	// FloorP50ms is the median of each sample's own floor: its thread's
	// next slot after it was accepted, plus ChainFloorMs.
	FloorP50ms        float64 `json:"floor_p50_ms"`
	RatioToFloor      float64 `json:"ratio_p50_to_floor"`
	RatioToChainFloor float64 `json:"ratio_p50_to_chain_floor"`
	PollResolution    int     `json:"poll_resolution_ms"`
}

// ProfileInfo is the node's CPU profile taken during the load.
type ProfileInfo struct {
	File    string   `json:"file,omitempty"`
	Seconds int      `json:"seconds,omitempty"`
	Top     []string `json:"top,omitempty"` // go tool pprof -top
	Error   string   `json:"error,omitempty"`
}

// Target is one performance target and whether the run met it.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
	Note  string  `json:"note,omitempty"`
}

func networkInfo(st *nodeStatus, ps ParamSet, o Options) NetworkInfo {
	return NetworkInfo{
		ChainID: st.ChainID, Threads: st.Config.ThreadCount, T0ms: st.Config.T0, DeltaF0: st.Config.DeltaF0,
		EndorsementCount: o.EndorsementCount, MaxBlockSize: st.Config.MaxBlockSize,
		MaxOpsPerBlock: ps.MaxOperationsPerBlock, MaxGasPerBlock: ps.MaxGasPerBlock, MinimalFee: st.MinimalFees.String(),
	}
}

// capacity is what blocks can carry under the parameters, for operations
// of opBytes: the tightest of the size, count and gas limits, times the
// number of blocks per second (threads / t0).
func capacity(ps ParamSet, st *nodeStatus, opBytes float64) CapInfo {
	c := CapInfo{OpsPerBlock: int(ps.MaxOperationsPerBlock), BoundBy: "max_operations_per_block"}
	size := ps.MaxBlockSize
	if st.Config.MaxBlockSize > 0 {
		size = st.Config.MaxBlockSize
	}
	if opBytes > 0 {
		if n := int(float64(size) / opBytes); n < c.OpsPerBlock {
			c.OpsPerBlock, c.BoundBy = n, "max_block_size"
		}
	}
	if n := int(ps.MaxGasPerBlock / types.BaseOperationGasCost); n < c.OpsPerBlock {
		c.OpsPerBlock, c.BoundBy = n, "max_gas_per_block"
	}
	c.OpsPerSec = float64(c.OpsPerBlock) * float64(st.Config.ThreadCount) * 1000 / float64(st.Config.T0)
	return c
}

// The targets of the performance issue.
const (
	liftedVerifyShare = 0.25
	capHeldShare      = 0.95
	capCPUShare       = 0.5
	rssLimit          = 1e9
	rssRate           = 10_000
	latencyRatio      = 1.2
)

func evaluateTargets(r *Report) []Target {
	var out []Target
	switch r.Params {
	case ParamsLifted:
		lim := liftedVerifyShare * r.Raw.BatchPerSec
		t := Target{Name: "final transfers/s >= 0.25 x raw batch-verify rate", Value: r.Final.SustainedPerSec, Limit: lim, Unit: "ops/s", Met: lim > 0 && r.Final.SustainedPerSec >= lim}
		if lim == 0 {
			t.Note = "raw limits not measured"
		}
		out = append(out, t)
	case ParamsMainnet:
		out = append(out, Target{Name: "mainnet cap held (>= 95 % of the cap final)", Value: r.Cap.Share, Limit: capHeldShare, Unit: "share of cap", Met: r.Cap.Share >= capHeldShare})
		if r.Node.Available {
			v, note := r.Node.CPUShareSteady, fmt.Sprintf("steady state over %.0f s", r.Node.CPUWindowS)
			if r.Node.CPUWindowS == 0 {
				v, note = r.Node.CPUShareLoad, "load too short for a steady state: whole load window"
			}
			out = append(out, Target{Name: "... using at most half the CPU", Value: v, Limit: capCPUShare, Unit: "share of all cores", Met: v <= capCPUShare,
				Note: fmt.Sprintf("%s; per-op cost x cap = %.2f", note, r.Node.CPUShareAtCap)})
		}
	}
	if r.Node.Available {
		t := Target{Name: "peak RSS <= 1 GB at 10,000 ops/s", Value: float64(r.Node.PeakRSSBytes), Limit: rssLimit, Unit: "bytes", Met: r.Node.PeakRSSBytes <= rssLimit}
		if r.Load.AcceptedPerSec < rssRate*0.95 {
			t.Met = false
			t.Note = fmt.Sprintf("not applicable: the load reached %.0f ops/s, not 10,000", r.Load.AcceptedPerSec)
		} else if r.Node.RSSGrowthMBPerMin > 10 {
			t.Note = fmt.Sprintf("still growing %.0f MB/min when the load ended: a longer run would peak higher", r.Node.RSSGrowthMBPerMin)
		}
		out = append(out, t)
	}
	if r.Latency.FloorP50ms > 0 {
		out = append(out, Target{Name: "finality p50 <= 1.2 x theoretical minimum", Value: r.Latency.RatioToFloor, Limit: latencyRatio, Unit: "ratio", Met: r.Latency.RatioToFloor <= latencyRatio,
			Note: fmt.Sprintf("floor p50 %.1f s; against the bare %d-block chain (%.1f s) the ratio is %.2f", r.Latency.FloorP50ms/1000, r.Latency.BlocksToFinal, r.Latency.ChainFloorMs/1000, r.Latency.RatioToChainFloor)})
	}
	return out
}

// takeHeapProfile fetches the node's heap profile and lists where the
// memory in use was allocated.
func takeHeapProfile(ctx context.Context, base, path string) ProfileInfo {
	return fetchProfile(ctx, base+"/debug/pprof/heap?gc=1", 60*time.Second, path, "-sample_index=inuse_space")
}

// takeProfile fetches a CPU profile from the node's pprof endpoint, saves
// it to path and lists its top functions with go tool pprof when Go is
// installed.
func takeProfile(ctx context.Context, base string, secs int, path string) ProfileInfo {
	pi := fetchProfile(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), time.Duration(secs+30)*time.Second, path)
	pi.Seconds = secs
	return pi
}

func fetchProfile(ctx context.Context, url string, timeout time.Duration, path string, pprofArgs ...string) ProfileInfo {
	var pi ProfileInfo
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		pi.Error = err.Error()
		return pi
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		pi.Error = err.Error()
		return pi
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		pi.Error = "HTTP " + resp.Status
		return pi
	}
	f, err := os.Create(path)
	if err != nil {
		pi.Error = err.Error()
		return pi
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, 256<<20)); err != nil {
		f.Close()
		pi.Error = err.Error()
		return pi
	}
	if err := f.Close(); err != nil {
		pi.Error = err.Error()
		return pi
	}
	pi.File = path
	args := append([]string{"tool", "pprof", "-top", "-nodecount=25"}, pprofArgs...)
	out, err := exec.Command("go", append(args, path)...).Output()
	if err != nil {
		pi.Error = "go tool pprof: " + err.Error()
		return pi
	}
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		pi.Top = append(pi.Top, l)
	}
	return pi
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	p := func(k, format string, a ...any) { fmt.Fprintf(tw, "  %s\t"+format+"\n", append([]any{k}, a...)...) }
	fmt.Fprintf(tw, "massa-bench: %s parameters, %s, %s\n", r.Params, r.Target, r.StartedAt)
	p("machine", "%d cores (GOMAXPROCS %d)", r.Machine.Cores, r.Machine.GOMAXPROCS)
	n := r.Network
	p("network", "%d threads, t0 %d ms, delta_f0 %d, %d endorsements; blocks <= %d bytes, <= %d ops, <= %d gas; fee %s",
		n.Threads, n.T0ms, n.DeltaF0, n.EndorsementCount, n.MaxBlockSize, n.MaxOpsPerBlock, n.MaxGasPerBlock, n.MinimalFee)
	if r.Raw.Cores > 0 {
		p("raw ed25519", "%.0f verifications/s single, %.0f/s batched (%d per batch), %.0f/s batched with the node's key cache, all %d cores",
			r.Raw.SinglePerSec, r.Raw.BatchPerSec, r.Raw.BatchSize, r.Raw.BatchCachedPerSec, r.Raw.Cores)
	}
	l := r.Load
	p("load", "%s for %.0f s: %d senders, batches of %d over %d connections; %d pre-signed in %.1f s, %.1f bytes/op",
		rateText(l.RateTarget), l.DurationS, l.Senders, l.Batch, l.Conns, l.PresignedOps, l.SignSeconds, l.AvgOpBytes)
	p("sent", "%d ops, accepted %d (%.0f/s), refused %d; calls %.0f ms mean, %.0f ms max; max lag %.2f s, held %.1f s; massa-bench used %.2f cores%s",
		l.Sent, l.Accepted, l.AcceptedPerSec, l.Refused, ms(l.MeanCall), ms(l.MaxCall), l.MaxLag.Seconds(), l.Held.Seconds(), l.BenchCPUCores, map[bool]string{true: " (pre-signed ops exhausted)"}[l.Exhausted])
	reasons := make([]string, 0, len(l.Reasons))
	for k := range l.Reasons {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool { return l.Reasons[reasons[i]] > l.Reasons[reasons[j]] })
	for _, k := range reasons {
		p("  refused", "%d x %s", l.Reasons[k], k)
	}
	p("final", "%d ops final (all accepted: %v); sustained %.0f ops/s over %.0f s (%s)", r.Final.Ops, r.Final.AllFinal, r.Final.SustainedPerSec, r.Final.WindowS, r.Final.Window)
	p("cap", "%d ops/block (bound by %s) = %.0f ops/s; reached %.1f %%", r.Cap.OpsPerBlock, r.Cap.BoundBy, r.Cap.OpsPerSec, 100*r.Cap.Share)
	lt := r.Latency
	p("latency", "p50 %.1f s, p95 %.1f s (min %.1f, max %.1f) over %d samples, %d not final", lt.P50ms/1000, lt.P95ms/1000, lt.MinMs/1000, lt.MaxMs/1000, lt.Samples, lt.NotFinal)
	p("floor", "%d blocks x slot = %.1f s; with the thread's next slot: p50 %.1f s -> ratio %.2f (%.2f to the bare chain)",
		lt.BlocksToFinal, lt.ChainFloorMs/1000, lt.FloorP50ms/1000, lt.RatioToFloor, lt.RatioToChainFloor)
	if r.Node.Available {
		nd := r.Node
		p("memory", "peak RSS %.0f MB; %.0f MB when the load ended, growing %.0f MB/min over its second half",
			float64(nd.PeakRSSBytes)/1e6, float64(nd.RSSAtLoadEndBytes)/1e6, nd.RSSGrowthMBPerMin)
		p("cpu", "%.2f cores (%.0f %% of all) during the load, %.2f cores (%.0f %%) in the steady state (%.0f s); %.0f µs CPU per final op",
			nd.CPUCoresLoad, 100*nd.CPUShareLoad, nd.CPUCoresSteady, 100*nd.CPUShareSteady, nd.CPUWindowS, nd.CPUPerFinalOpUS)
	} else {
		p("node", "process figures unavailable (give --node-pid)")
	}
	if r.Profile.File != "" || r.Profile.Error != "" {
		p("profile", "%s (%d s)%s", r.Profile.File, r.Profile.Seconds, map[bool]string{true: " " + r.Profile.Error}[r.Profile.Error != ""])
		for i, t := range r.Profile.Top {
			if i >= 16 {
				break
			}
			p("", "%s", t)
		}
	}
	if r.Heap.File != "" || r.Heap.Error != "" {
		p("heap", "%s at the end of the load%s", r.Heap.File, map[bool]string{true: " " + r.Heap.Error}[r.Heap.Error != ""])
		for i, t := range r.Heap.Top {
			if i >= 12 {
				break
			}
			p("", "%s", t)
		}
	}
	for _, t := range r.Targets {
		verdict := "NOT MET"
		if t.Met {
			verdict = "met"
		}
		val := fmt.Sprintf("%.3g %s (limit %.3g)", t.Value, t.Unit, t.Limit)
		if t.Unit == "bytes" {
			val = fmt.Sprintf("%.0f MB (limit %.0f MB)", t.Value/1e6, t.Limit/1e6)
		}
		note := ""
		if t.Note != "" {
			note = "; " + t.Note
		}
		p("target", "%s: %s: %s%s", t.Name, verdict, val, note)
	}
	return tw.Flush()
}
