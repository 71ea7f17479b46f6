package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Options configure one bench run.
type Options struct {
	Params     string // ParamsMainnet or ParamsLifted
	NodeBin    string // node binary; "" builds cmd/massa-node of ModuleRoot
	ModuleRoot string
	Home       string // sandbox home; "" makes a temporary one
	KeepHome   bool

	// RPC targets a running node instead of a sandbox; SecretKey (S…)
	// then funds the senders. NodePID and MetricsURL are optional: with
	// them the node's memory, CPU and profile are measured too.
	RPC        string
	SecretKey  string
	NodePID    int
	MetricsURL string

	Threads          uint8
	T0               uint64 // ms
	EndorsementCount uint32
	// DeltaF0 of the sandbox network; 0 means Massa's 64 * (E + 1), which
	// makes an operation final 65 fully endorsed blocks after its own.
	DeltaF0 uint64
	Senders int // rounded up to a multiple of Threads

	Rate     float64       // ops/s; 0 = as fast as the node accepts; < 0 = the parameters' cap
	Duration time.Duration // of the load
	Batch    int           // operations per send_operations call
	Conns    int           // HTTP connections
	MaxOps   int           // unpaced runs: operations pre-signed
	MaxPool  int           // unpaced runs: wait while the pool holds more
	Seed     uint64

	VerifyTime     time.Duration // per raw measurement; 0 skips them
	ProfileSeconds int           // CPU profile length; 0 skips it
	ProfileDir     string        // where profiles are saved ("" = the system's temp dir)
	LatencySamples int
	Drain          time.Duration // longest wait for finality after the load

	Log     io.Writer // progress lines (nil: none)
	NodeLog io.Writer // the sandbox node's output (nil: discarded)
}

// DefaultOptions are the defaults of massa-bench.
func DefaultOptions() Options {
	return Options{
		Params: ParamsMainnet, Threads: 32, T0: 16_000, EndorsementCount: 16, Senders: 1024,
		Duration: 90 * time.Second, Batch: 128, Conns: 4, MaxPool: 400_000, Seed: 1,
		VerifyTime: 2 * time.Second, ProfileSeconds: 30, LatencySamples: 600, Drain: 3 * time.Minute,
	}
}

// runState is what the pollers share with Run.
type runState struct {
	mu       sync.Mutex
	finals   []CountPoint
	pools    []CountPoint // pooled operations
	procs    []procPoint
	pool     atomic.Int64
	lastErr  error
	samples  []*tracked
	resolved []*tracked
}

type procPoint struct {
	At time.Duration
	ProcSample
}

type tracked struct {
	s        *Sample
	sent     time.Time
	answered time.Time
	final    time.Time
	// earliest is when the operation can first be final (its floor, less
	// a margin): it is not polled before, which keeps the measurement's
	// own load on the node small.
	earliest time.Time
}

// clockInfo converts local times to the node's slots.
type clockInfo struct {
	genesis  int64 // node ms
	offsetMS int64 // node time - local time
	t0       int64
	threads  int64
}

func (c clockInfo) nodeMS(t time.Time) int64 { return t.UnixMilli() + c.offsetMS }

func (c clockInfo) periodAt(t time.Time) uint64 {
	ms := c.nodeMS(t) - c.genesis
	if ms < 0 {
		return 0
	}
	return uint64(ms / c.t0)
}

// nextSlotTime is the local time of the first slot of thread th at or
// after t: the earliest block that can carry an operation pooled at t.
func (c clockInfo) nextSlotTime(th uint8, t time.Time) time.Time {
	slot := c.t0 / c.threads
	base := c.genesis + int64(th)*slot
	ms := c.nodeMS(t)
	p := int64(0)
	if ms > base {
		p = (ms - base + c.t0 - 1) / c.t0
	}
	return time.UnixMilli(base + p*c.t0 - c.offsetMS)
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "["+time.Now().Format("15:04:05")+"] "+format+"\n", args...)
	}
}

func (o *Options) validate() (ParamSet, error) {
	ps, err := ParamSetByName(o.Params)
	if err != nil {
		return ps, err
	}
	switch {
	case o.Threads < 2 || o.Threads&(o.Threads-1) != 0:
		return ps, fmt.Errorf("threads %d: want a power of two from 2 to 128: %w", o.Threads, ErrBadOptions)
	case o.T0 == 0 || o.T0%uint64(o.Threads) != 0:
		return ps, fmt.Errorf("t0 %d ms: want a multiple of the thread count: %w", o.T0, ErrBadOptions)
	case o.Duration < time.Second:
		return ps, fmt.Errorf("duration %v: want at least 1 s: %w", o.Duration, ErrBadOptions)
	case o.Batch < 1 || o.Conns < 1:
		return ps, fmt.Errorf("batch %d, conns %d, rate %v: %w", o.Batch, o.Conns, o.Rate, ErrBadOptions)
	case o.RPC != "" && o.SecretKey == "":
		return ps, fmt.Errorf("--rpc needs --secret-key to fund the senders: %w", ErrBadOptions)
	}
	if o.Senders < 2*int(o.Threads) {
		o.Senders = 2 * int(o.Threads)
	}
	return ps, nil
}

// Run performs one bench run and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	ps, err := o.validate()
	if err != nil {
		return nil, err
	}
	rep := &Report{Version: 1, Params: ps.Name, StartedAt: time.Now().UTC().Format(time.RFC3339)}
	rep.Machine.Cores = runtime.NumCPU()
	rep.Machine.GOMAXPROCS = runtime.GOMAXPROCS(0)

	perThread := (o.Senders + int(o.Threads) - 1) / int(o.Threads)
	senders, err := DeriveSenders(o.Seed, o.Threads, perThread)
	if err != nil {
		return nil, err
	}

	// Raw limits first, while nothing else of ours runs.
	if o.VerifyTime > 0 {
		o.logf("measuring raw ed25519 verification rates (%v each)", o.VerifyTime)
		rep.Raw = MeasureVerify(ctx, o.VerifyTime, len(senders))
		o.logf("  single %.0f/s, batch %.0f/s (%.0f/s with key cache) on %d cores", rep.Raw.SinglePerSec, rep.Raw.BatchPerSec, rep.Raw.BatchCachedPerSec, rep.Raw.Cores)
	}

	// The node.
	var (
		url     string
		pid     = o.NodePID
		metrics = o.MetricsURL
		sb      *Sandbox
		tmp     string
	)
	if o.RPC == "" {
		rep.Target = "sandbox"
		if tmp, err = os.MkdirTemp("", "massa-bench"); err != nil {
			return nil, err
		}
		defer func() {
			if !o.KeepHome {
				os.RemoveAll(tmp)
			}
		}()
		bin := o.NodeBin
		if bin == "" {
			o.logf("building cmd/massa-node")
			if bin, err = BuildNode(ctx, o.ModuleRoot, tmp); err != nil {
				return nil, err
			}
		}
		home := o.Home
		if home == "" {
			home = filepath.Join(tmp, "home")
		}
		staker := DeriveKey(o.Seed, "staker", 0)
		deltaF0 := o.DeltaF0
		if deltaF0 == 0 {
			deltaF0 = 64 * (uint64(o.EndorsementCount) + 1)
		}
		g := &GenesisSpec{
			Params: map[string]any{
				"thread_count":             o.Threads,
				"t0":                       o.T0,
				"endorsement_count":        o.EndorsementCount,
				"delta_f0":                 deltaF0,
				"max_block_size":           ps.MaxBlockSize,
				"max_operations_per_block": ps.MaxOperationsPerBlock,
				"max_gas_per_block":        ps.MaxGasPerBlock,
				"chain_id":                 config.ChainIDSandbox,
				"network_prefix":           "BNCH",
			},
			Balances: map[types.Address]types.Amount{types.AddressOf(staker.Public()): 1_000_000 * types.OneMAS},
			Rolls:    map[types.Address]uint64{types.AddressOf(staker.Public()): 100},
		}
		for _, s := range senders {
			g.Balances[s.Address] = 1_000_000 * types.OneMAS
		}
		o.logf("starting a %s node: %d threads, t0 %d ms, blocks up to %d bytes and %d operations; %d senders funded in the genesis",
			ps.Name, o.Threads, o.T0, ps.MaxBlockSize, ps.MaxOperationsPerBlock, len(senders))
		sb, err = StartSandbox(ctx, SandboxOptions{
			NodeBin: bin, Home: home, Genesis: g, Staker: staker,
			MaxArguments: max(o.Batch, 128), PoolSize: max(500_000, 2*o.MaxPool), Log: o.NodeLog,
		})
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := sb.Stop(); err != nil {
				o.logf("node stop: %v", err)
			}
		}()
		url, pid, metrics = sb.PublicURL, sb.PID, sb.MetricsURL
		o.logf("node pid %d, API %s, pprof %s/debug/pprof, home %s", pid, url, metrics, home)
	} else {
		rep.Target = o.RPC
		url = o.RPC
	}
	rep.Node.PID = pid
	c := newRPCClient(url, o.Conns)
	poll := newRPCClient(url, 2)

	st, err := waitProducing(ctx, poll, sb)
	if err != nil {
		return nil, err
	}
	if sb != nil {
		// A new chain's first blocks carry no endorsements (there is no
		// block before them to endorse), so they need more descendants to
		// be final: measure from the steady state.
		o.logf("warming up: waiting until the blocks of period %d are final", warmupPeriod)
		if st, err = waitFinalPeriod(ctx, poll, sb, warmupPeriod); err != nil {
			return nil, err
		}
	}
	if o.RPC != "" {
		key, err := crypto.ParseSecretKey(o.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("--secret-key: %w", err)
		}
		o.Threads = st.Config.ThreadCount
		if senders, err = DeriveSenders(o.Seed, o.Threads, perThread); err != nil {
			return nil, err
		}
		if o.Rate < 0 {
			expire := st.Config.OperationValidityPeriods
			if st.LastSlot != nil {
				expire += st.LastSlot.Period
			}
			o.Rate = capacity(ps, st, float64(probeOp(senders, st, expire).SerializedLen)).OpsPerSec
		}
		// Each operation spends the fee and TransferBase + ops/senders nanoMAS at most.
		perSender := uint64(o.plannedOps()/len(senders)) + 10
		per, err := (st.MinimalFees + types.Amount(TransferBase+perSender)).MulU64(perSender)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFunding, err)
		}
		per = per.SaturatingAdd(types.OneMAS)
		if err := fundSenders(ctx, poll, key, senders, per, st.MinimalFees, st, min(o.Batch, 128), o.logf); err != nil {
			return nil, err
		}
		if st, err = poll.status(ctx); err != nil {
			return nil, err
		}
	}
	rep.Network = networkInfo(st, ps, o)
	blocksToFinal := rep.Network.DeltaF0/(uint64(rep.Network.EndorsementCount)+1) + 1
	slotMS := st.Config.T0 / uint64(st.Config.ThreadCount)
	chainD := time.Duration(blocksToFinal*slotMS) * time.Millisecond
	t0D := time.Duration(st.Config.T0) * time.Millisecond
	clk := clockInfo{genesis: int64(st.Config.GenesisTimestamp), offsetMS: int64(st.CurrentTime) - time.Now().UnixMilli(),
		t0: int64(st.Config.T0), threads: int64(st.Config.ThreadCount)}
	validity := st.Config.OperationValidityPeriods
	if validity == 0 {
		validity = types.OperationValidityPeriods
	}

	// The cap, from the size of a transfer like those of the load.
	probe := probeOp(senders, st, clk.periodAt(time.Now())+validity)
	rep.Cap = capacity(ps, st, float64(probe.SerializedLen))
	if o.Rate < 0 {
		o.Rate = rep.Cap.OpsPerSec
	}

	// Pre-sign, off the clock.
	ops := o.plannedOps()
	if o.Rate == 0 {
		// Every operation is valid from the period signing starts: the
		// whole load must fit in its validity (less a period for signing).
		if lim := time.Duration(validity-1) * time.Duration(st.Config.T0) * time.Millisecond; o.Duration > lim-time.Duration(st.Config.T0)*time.Millisecond {
			return nil, fmt.Errorf("an unpaced run (--rate 0) lasts at most %v with these parameters (operation validity); give --rate or a shorter --duration: %w",
				lim-time.Duration(st.Config.T0)*time.Millisecond, ErrBadOptions)
		}
	}
	nb := (ops + o.Batch - 1) / o.Batch
	sampleEvery := max(1, nb/max(o.LatencySamples, 1))
	signStart := time.Now()
	plan := SignPlan{
		Senders: senders, ChainID: st.ChainID, Fee: st.MinimalFees, Ops: ops, BatchSize: o.Batch, Rate: o.Rate,
		SampleEvery: sampleEvery,
		Expire: func(due time.Duration) uint64 {
			return clk.periodAt(signStart.Add(due)) + validity
		},
	}
	o.logf("pre-signing %d transfers in batches of %d", ops, o.Batch)
	batches, ss, err := Presign(ctx, plan)
	if err != nil {
		return nil, err
	}
	o.logf("  signed in %.1f s (%.0f ops/s), %.1f bytes per operation, %.0f MB of requests",
		ss.SignSeconds, float64(ops)/ss.SignSeconds, ss.AvgOpBytes, float64(ss.BodyBytes)/1e6)
	rep.Load.Senders, rep.Load.Batch, rep.Load.Conns = len(senders), o.Batch, o.Conns
	rep.Load.RateTarget, rep.Load.DurationS = o.Rate, o.Duration.Seconds()
	rep.Load.PresignedOps, rep.Load.SignSeconds, rep.Load.AvgOpBytes = ops, ss.SignSeconds, ss.AvgOpBytes
	rep.Cap = capacity(ps, st, ss.AvgOpBytes)
	rep.Cap.Share = 0

	// Baselines, then the load with its pollers.
	if st, err = poll.status(ctx); err != nil {
		return nil, err
	}
	baseFinal := st.ExecutionStats.FinalExecutedOperationsCount
	var baseProc ProcSample
	if pid > 0 {
		if baseProc, err = ReadProc(pid); err != nil {
			o.logf("no process figures for pid %d: %v", pid, err)
			pid = 0
		}
	}
	rs := &runState{}
	rs.pool.Store(int64(st.PoolStats[0]))
	selfStart, selfErr := ReadProc(os.Getpid())
	loadStart := time.Now()
	rs.finals = append(rs.finals, CountPoint{At: 0, Count: baseFinal})
	if pid > 0 {
		rs.procs = append(rs.procs, procPoint{At: 0, ProcSample: baseProc})
	}
	pctx, stopPollers := context.WithCancel(ctx)
	var pwg sync.WaitGroup
	pwg.Add(2)
	go func() { defer pwg.Done(); pollStatus(pctx, poll, pid, loadStart, rs) }()
	go func() { defer pwg.Done(); pollLatency(pctx, newRPCClient(url, 2), rs) }()

	finalityDelay := time.Duration(blocksToFinal*slotMS+st.Config.T0) * time.Millisecond
	var profDone chan struct{}
	if metrics != "" && o.ProfileSeconds > 0 {
		secs := min(o.ProfileSeconds, int(o.Duration.Seconds()))
		delay := min(finalityDelay, o.Duration-time.Duration(secs)*time.Second)
		path := o.profilePath("cpu")
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			select {
			case <-time.After(max(delay, 0)):
			case <-pctx.Done():
				return
			}
			o.logf("taking a %d s CPU profile of the node", secs)
			rep.Profile = takeProfile(pctx, metrics, secs, path)
		}()
	}

	o.logf("load: %s for %v over %d connections", rateText(o.Rate), o.Duration, o.Conns)
	hold := func() bool { return o.MaxPool > 0 && rs.pool.Load() >= int64(o.MaxPool) }
	ls := SendLoad(ctx, c, batches, LoadOptions{
		Conns: o.Conns, Duration: o.Duration, Paced: o.Rate > 0, Hold: hold,
		OnSample: func(s *Sample, sent, answered time.Time) {
			earliest := clk.nextSlotTime(s.Thread, answered).Add(chainD - time.Second)
			rs.mu.Lock()
			rs.samples = append(rs.samples, &tracked{s: s, sent: sent, answered: answered, earliest: earliest})
			rs.mu.Unlock()
		},
	})
	loadEnd := time.Since(loadStart)
	if self, err := ReadProc(os.Getpid()); err == nil && selfErr == nil {
		// The load generator shares the machine with the node.
		rep.Load.BenchCPUCores = (self.CPU - selfStart.CPU).Seconds() / loadEnd.Seconds()
	}
	batches = nil // the requests can go now
	if metrics != "" && o.ProfileSeconds > 0 {
		// The heap at the end of the load, when the pool and the blocks
		// in flight hold the most.
		rep.Heap = takeHeapProfile(ctx, metrics, o.profilePath("heap"))
	}
	rep.Load.LoadStats = ls
	rep.Load.AcceptedPerSec = float64(ls.Accepted) / ls.Elapsed.Seconds()
	o.logf("  sent %d, accepted %d (%.0f/s), refused %d in %.1f s", ls.Sent, ls.Accepted, rep.Load.AcceptedPerSec, ls.Refused, ls.Elapsed.Seconds())

	// Drain: wait until every accepted operation is final, or finality
	// stalls after the finality delay has passed.
	o.logf("waiting for finality (at most %v)", o.Drain)
	drainStart := time.Now()
	for {
		rs.mu.Lock()
		last := rs.finals[len(rs.finals)-1]
		var lastMove time.Duration
		for i := len(rs.finals) - 1; i > 0; i-- {
			if rs.finals[i].Count != rs.finals[i-1].Count {
				lastMove = rs.finals[i].At
				break
			}
		}
		rs.mu.Unlock()
		sinceEnd := time.Since(loadStart) - loadEnd
		if last.Count-baseFinal >= uint64(ls.Accepted) || sinceEnd > o.Drain ||
			(sinceEnd > finalityDelay+time.Duration(st.Config.T0)*time.Millisecond && time.Since(loadStart)-lastMove > 12*time.Second) {
			break
		}
		if sb != nil {
			select {
			case <-sb.Done():
				stopPollers()
				return nil, fmt.Errorf("%w during the run:\n%s", ErrNodeExited, sb.Tail())
			default:
			}
		}
		select {
		case <-ctx.Done():
			stopPollers()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	// One last poll of each so the figures end where the drain ended.
	time.Sleep(1200 * time.Millisecond)
	stopPollers()
	pwg.Wait()
	if profDone != nil {
		<-profDone
	}
	rep.Final.DrainS = time.Since(drainStart).Seconds()

	rs.mu.Lock()
	defer rs.mu.Unlock()
	last := rs.finals[len(rs.finals)-1]
	rep.Final.Ops = last.Count - baseFinal
	rep.Final.AllFinal = rep.Final.Ops >= uint64(ls.Accepted)
	// The steady state: an operation submitted at s is final between
	// s + chain and s + chain + t0 (its thread's slot comes within t0),
	// so from load start + chain + t0 to load end + chain every final
	// operation comes from the load and the final stream shows the rate
	// the node sustains. Short loads fall back to the middle 80 %.
	from, to := chainD+t0D, loadEnd+chainD
	if to-from >= 10*time.Second {
		rep.Final.SustainedPerSec, rep.Final.WindowS = WindowRate(rs.finals, from, to), (to - from).Seconds()
		rep.Final.Window = "steady state: load start + finality chain + t0 .. load end + finality chain"
	} else {
		rate, win := SustainedRate(rs.finals, 0.1, 0.9)
		rep.Final.SustainedPerSec, rep.Final.WindowS = rate, win.Seconds()
		rep.Final.Window = "middle 80 % of the final operations (load too short for a steady state)"
	}
	if rep.Cap.OpsPerSec > 0 {
		rep.Cap.Share = rep.Final.SustainedPerSec / rep.Cap.OpsPerSec
	}
	rep.Latency = latencyReport(rs, clk, blocksToFinal, slotMS)
	if len(rs.procs) > 1 {
		rep.Node.Available = true
		rep.Node.Note = "figures read from /proc/" + fmt.Sprint(rep.Node.PID)
		end := rs.procs[len(rs.procs)-1]
		rep.Node.PeakRSSBytes = end.PeakRSS
		// Is memory still growing when the load ends? The slope of RSS
		// over the second half of the load.
		var mid, last procPoint
		for _, p := range rs.procs {
			if p.At <= loadEnd/2 {
				mid = p
			}
			if p.At <= loadEnd {
				last = p
			}
		}
		rep.Node.RSSAtLoadEndBytes = last.RSS
		if d := (last.At - mid.At).Minutes(); d > 0 {
			rep.Node.RSSGrowthMBPerMin = float64(last.RSS-mid.RSS) / 1e6 / d
		}
		atLoadEnd := rs.procs[0]
		for _, p := range rs.procs {
			if p.At <= loadEnd {
				atLoadEnd = p
			}
		}
		cores := float64(rep.Machine.Cores)
		if d := atLoadEnd.At.Seconds(); d > 0 {
			rep.Node.CPUSecondsLoad = (atLoadEnd.CPU - rs.procs[0].CPU).Seconds()
			rep.Node.CPUCoresLoad = rep.Node.CPUSecondsLoad / d
			rep.Node.CPUShareLoad = rep.Node.CPUCoresLoad / cores
		}
		// In the steady state (from chain + t0 after the load started to
		// its end) the node takes in, executes and finalizes at once.
		if from, to := chainD+t0D, loadEnd; to-from >= 10*time.Second {
			c := cpuBetween(rs.procs, from, to)
			rep.Node.CPUCoresSteady = c / (to - from).Seconds()
			rep.Node.CPUShareSteady = rep.Node.CPUCoresSteady / cores
			rep.Node.CPUWindowS = (to - from).Seconds()
		}
		rep.Node.CPUSecondsTotal = (end.CPU - rs.procs[0].CPU).Seconds()
		if rep.Final.Ops > 0 {
			rep.Node.CPUPerFinalOpUS = rep.Node.CPUSecondsTotal / float64(rep.Final.Ops) * 1e6
			// The CPU a sustained stream at the cap would take: the cost
			// of one operation end to end, times the cap.
			rep.Node.CPUShareAtCap = rep.Node.CPUSecondsTotal / float64(rep.Final.Ops) * rep.Cap.OpsPerSec / cores
		}
	}
	rep.Timeline = timeline(rs, baseFinal)
	rep.Targets = evaluateTargets(rep)
	return rep, nil
}

// plannedOps is how many operations the load pre-signs: rate x duration,
// or for an unpaced load MaxOps (default 10,000 per second of load).
func (o *Options) plannedOps() int {
	switch {
	case o.Rate > 0:
		return int(math.Ceil(o.Rate * o.Duration.Seconds()))
	case o.MaxOps > 0:
		return o.MaxOps
	}
	return 10_000 * int(math.Ceil(o.Duration.Seconds()))
}

// probeOp is a transfer like those of the load, to size the cap.
func probeOp(senders []*Sender, st *nodeStatus, expire uint64) *types.SignedOperation {
	return types.SignOperation(types.Operation{Fee: st.MinimalFees, ExpirePeriod: expire,
		Type: types.OpTransaction, Recipient: senders[1].Address, Amount: TransferBase}, senders[0].Key, st.ChainID)
}

// profilePath is where the profile of a kind ("cpu", "heap") is saved.
func (o *Options) profilePath(kind string) string {
	dir := o.ProfileDir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "massa-bench-"+o.Params+"-"+kind+".pprof")
}

func rateText(r float64) string {
	if r <= 0 {
		return "as fast as accepted"
	}
	return fmt.Sprintf("%.0f ops/s", r)
}

// waitProducing waits until the node answers and its chain has a block.
func waitProducing(ctx context.Context, c *rpcClient, sb *Sandbox) (*nodeStatus, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := c.status(ctx)
		if err == nil && st.LastSlot != nil && st.LastSlot.Period >= 1 {
			return st, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("no slot after genesis yet")
			}
			return nil, fmt.Errorf("%w: the node is not producing after 2 minutes: %w", ErrNodeStart, err)
		}
		var exited <-chan struct{}
		if sb != nil {
			exited = sb.Done()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-exited:
			return nil, fmt.Errorf("%w:\n%s", ErrNodeExited, sb.Tail())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// warmupPeriod: the load starts once this period's blocks are final.
const warmupPeriod = 2

// waitFinalPeriod waits until the final cursor has passed every slot of
// period p.
func waitFinalPeriod(ctx context.Context, c *rpcClient, sb *Sandbox, p uint64) (*nodeStatus, error) {
	for {
		st, err := c.status(ctx)
		if err == nil && st.ExecutionStats.FinalCursor.Period > p ||
			err == nil && st.ExecutionStats.FinalCursor.Period == p && st.ExecutionStats.FinalCursor.Thread == st.Config.ThreadCount-1 {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sb.Done():
			return nil, fmt.Errorf("%w:\n%s", ErrNodeExited, sb.Tail())
		case <-time.After(time.Second):
		}
	}
}

// pollStatus records, every second, the final-operation count, the pool
// size and the node process's counters.
func pollStatus(ctx context.Context, c *rpcClient, pid int, start time.Time, rs *runState) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := c.status(ctx)
		at := time.Since(start)
		var ps ProcSample
		var perr error
		if pid > 0 {
			ps, perr = ReadProc(pid)
		}
		rs.mu.Lock()
		if err == nil {
			rs.finals = append(rs.finals, CountPoint{At: at, Count: st.ExecutionStats.FinalExecutedOperationsCount})
			rs.pools = append(rs.pools, CountPoint{At: at, Count: st.PoolStats[0]})
			rs.pool.Store(int64(st.PoolStats[0]))
		} else if ctx.Err() == nil {
			rs.lastErr = err
		}
		if pid > 0 && perr == nil {
			rs.procs = append(rs.procs, procPoint{At: at, ProcSample: ps})
		}
		rs.mu.Unlock()
	}
}

// pollLatency asks, every 300 ms, which sampled operations are final; an
// operation's latency is the time from its submission to the poll that
// first saw it final (so it is over-estimated by up to 0.3 s).
func pollLatency(ctx context.Context, c *rpcClient, rs *runState) {
	const every = 300 * time.Millisecond
	const chunk = 128
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		now := time.Now()
		rs.mu.Lock()
		var pending []*tracked
		for _, t := range rs.samples {
			if !now.Before(t.earliest) {
				pending = append(pending, t)
			}
		}
		rs.mu.Unlock()
		if len(pending) == 0 {
			continue
		}
		final := map[types.OperationID]bool{}
		for lo := 0; lo < len(pending); lo += chunk {
			hi := min(lo+chunk, len(pending))
			ids := make([]types.OperationID, 0, hi-lo)
			for _, t := range pending[lo:hi] {
				ids = append(ids, t.s.ID)
			}
			res, err := c.operations(ctx, ids)
			if err != nil {
				continue
			}
			for _, r := range res {
				if r.IsFinal != nil && *r.IsFinal {
					final[r.ID] = true
				}
			}
		}
		if len(final) == 0 {
			continue
		}
		rs.mu.Lock()
		keep := rs.samples[:0]
		for _, t := range rs.samples {
			if final[t.s.ID] {
				t.final = now
				rs.resolved = append(rs.resolved, t)
			} else {
				keep = append(keep, t)
			}
		}
		rs.samples = keep
		rs.mu.Unlock()
	}
}

func latencyReport(rs *runState, clk clockInfo, blocksToFinal, slotMS uint64) LatencyReport {
	var lat, floors []time.Duration
	chain := time.Duration(blocksToFinal*slotMS) * time.Millisecond
	for _, t := range rs.resolved {
		lat = append(lat, t.final.Sub(t.sent))
		// The protocol's floor for this operation: its thread's next slot
		// after it was pooled, then blocksToFinal fully endorsed blocks.
		floors = append(floors, clk.nextSlotTime(t.s.Thread, t.answered).Sub(t.sent)+chain)
	}
	s := Summarize(lat)
	r := LatencyReport{
		Samples: s.Samples, NotFinal: len(rs.samples),
		P50ms: ms(s.P50), P95ms: ms(s.P95), MinMs: ms(s.Min), MaxMs: ms(s.Max),
		BlocksToFinal:  blocksToFinal,
		ChainFloorMs:   ms(chain),
		FloorP50ms:     ms(Percentile(floors, 50)),
		ChainPlusWait:  ms(chain + time.Duration(clk.t0/2)*time.Millisecond),
		PollResolution: 300,
	}
	if r.FloorP50ms > 0 {
		r.RatioToFloor = r.P50ms / r.FloorP50ms
	}
	if r.ChainFloorMs > 0 {
		r.RatioToChainFloor = r.P50ms / r.ChainFloorMs
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuBetween interpolates the CPU seconds the process used between two
// instants from the samples.
func cpuBetween(ps []procPoint, from, to time.Duration) float64 {
	pts := make([]CountPoint, len(ps))
	for i, p := range ps {
		pts[i] = CountPoint{At: p.At, Count: uint64(p.CPU)}
	}
	return (CountAt(pts, to) - CountAt(pts, from)) / float64(time.Second)
}

// timeline is the per-second record of the run, for plots and diagnosis.
func timeline(rs *runState, baseFinal uint64) []TimePoint {
	out := make([]TimePoint, 0, len(rs.finals))
	for i, f := range rs.finals {
		tp := TimePoint{T: f.At.Seconds(), Final: f.Count - min(f.Count, baseFinal)}
		if i > 0 && i-1 < len(rs.pools) {
			tp.Pool = rs.pools[i-1].Count
		}
		for _, p := range rs.procs {
			if p.At <= f.At {
				tp.RSS, tp.CPU = p.RSS, p.CPU.Seconds()
			}
		}
		out = append(out, tp)
	}
	return out
}
