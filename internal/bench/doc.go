// Package bench measures a node under load: the throughput of operations
// that become final, the latency from submission to finality, the node's
// memory and CPU, and the raw signature-verification limits of the machine
// it runs on, so that performance claims are measured, not guessed.
//
// It owns the whole measurement: a private bench network (a genesis that
// funds many senders spread over every thread and gives one staker all the
// rolls), the sandbox node process it starts on that genesis, operations
// pre-signed before the clock starts, the paced sender, the pollers that
// count final operations and sample latencies, /proc sampling of the node
// process, a CPU profile from the node's pprof endpoint, and the report.
//
// cmd/massa-bench is its only caller; BENCHMARKS.md at the repository root
// records how to run it and the latest figures.
package bench
