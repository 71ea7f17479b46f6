package node

import (
	"runtime"
	"strconv"

	"context"
	"github.com/gomassa/gomassa/internal/types"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsServer serves Prometheus metrics on /metrics and Go's pprof
// profiles on /debug/pprof/, on [metrics] bind.
type metricsServer struct {
	srv *http.Server
	ln  net.Listener
}

// nodeMetrics are the gauges the node exports; each queue, pool and cache
// reports its length.
type nodeMetrics struct {
	reg           *prometheus.Registry
	finalPeriod   *prometheus.GaugeVec
	opPool        prometheus.Gauge
	opPoolBytes   prometheus.Gauge
	endoPool      prometheus.Gauge
	blocksHeld    prometheus.Gauge
	produced      prometheus.Counter
	execHistory   prometheus.Gauge
	finalOpsTotal prometheus.Gauge
	cliques       prometheus.Gauge
	propagation   prometheus.Summary
	peers         prometheus.Gauge
	stepSeconds   *prometheus.HistogramVec
}

func newNodeMetrics() *nodeMetrics {
	m := &nodeMetrics{
		reg:           prometheus.NewRegistry(),
		finalPeriod:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "massa_final_period", Help: "Latest final period per thread."}, []string{"thread"}),
		opPool:        prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_pool_operations", Help: "Operations in the pool."}),
		opPoolBytes:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_pool_operation_bytes", Help: "Serialized bytes of pooled operations."}),
		endoPool:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_pool_endorsements", Help: "Endorsements in the pool."}),
		blocksHeld:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_blocks_in_memory", Help: "Blocks held in memory."}),
		produced:      prometheus.NewCounter(prometheus.CounterOpts{Name: "massa_blocks_produced_total", Help: "Blocks produced by this node's staking keys."}),
		execHistory:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_execution_active_history", Help: "Speculatively executed slots kept in memory."}),
		finalOpsTotal: prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_final_executed_operations", Help: "Operations executed in final slots since start."}),
		cliques:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_cliques", Help: "Max cliques of the block graph."}),
		propagation: prometheus.NewSummary(prometheus.SummaryOpts{
			Name:       "massa_block_propagation_seconds",
			Help:       "Time from a block's slot to its full reception from a peer.",
			Objectives: map[float64]float64{0.5: 0.01, 0.95: 0.005, 0.99: 0.001},
			MaxAge:     10 * time.Minute,
		}),
		peers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "massa_peers", Help: "Connected peers."}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "massa_main_loop_step_seconds",
			Help:    "Time of one main loop step, by phase (lock, consensus, produce, execution, pool).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"phase"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.finalPeriod, m.opPool, m.opPoolBytes, m.endoPool, m.blocksHeld, m.produced, m.execHistory, m.finalOpsTotal, m.cliques, m.propagation, m.peers, m.stepSeconds)
	return m
}

func startMetrics(bind string, reg *prometheus.Registry) (*metricsServer, error) {
	// Sample lock contention (1 event in 100), so /debug/pprof/mutex shows
	// what holds up the main loop and the API under load; the cost of
	// this rate is negligible.
	runtime.SetMutexProfileFraction(100)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	s := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *metricsServer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// updateMetrics refreshes the gauges; the main loop calls it once per slot.
func (n *Node) updateMetrics() {
	m := n.metrics
	if m == nil {
		return
	}
	n.mu.RLock()
	fp := n.graph.LatestFinalPeriods()
	stats := n.graph.Stats()
	held := len(n.blocks)
	n.mu.RUnlock()
	for t, p := range fp {
		m.finalPeriod.WithLabelValues(strconv.Itoa(t)).Set(float64(p))
	}
	ops, bytes := n.opPool.Len()
	m.opPool.Set(float64(ops))
	m.opPoolBytes.Set(float64(bytes))
	m.endoPool.Set(float64(n.endoPool.Len()))
	m.blocksHeld.Set(float64(held))
	m.cliques.Set(float64(stats.CliqueCount))
	es := n.exec.Stats()
	m.execHistory.Set(float64(es.HistoryLength))
	m.finalOpsTotal.Set(float64(es.FinalExecutedOps))
	if n.net != nil {
		m.peers.Set(float64(len(n.net.Peers())))
	}
}

// observePropagation records how long after its slot a block arrived.
func (n *Node) observePropagation(slot types.Slot) {
	if n.metrics == nil {
		return
	}
	now, at := n.clk.NowMS(), n.cp.SlotTimestamp(slot)
	if now >= at {
		n.metrics.propagation.Observe(float64(now-at) / 1000)
	}
}
