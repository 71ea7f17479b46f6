// Package sim runs several gomassa nodes in one process, in virtual time,
// over a simulated peer-to-peer network that drops, delays and duplicates
// messages, cuts links (partitions) and crashes and restarts nodes, all
// driven by one seeded random generator.
//
// Each node is a real node.Node (consensus, execution, pools, storage on
// disk under its own home) whose TCP protocol service is replaced, through
// node.Options.Network, by an endpoint of the simulated network, and whose
// clock is a virtual clock owned by the simulation.
//
// # Determinism
//
// A node's main loop runs in its own goroutine, but the simulation lets at
// most one goroutine work at a time. The main loop is the only user of a
// node's clock timers: it arms exactly one timer each time it finishes a
// step and goes back to waiting ("parks"). The driver takes the next event
// (a timer, a message delivery, a protocol tick) in (virtual time,
// sequence number) order, hands it to one node, and waits until that node
// parks again before taking the next one. Message deliveries call the
// node's protocol.Handler from the driver goroutine; those that wake the
// main loop (headers, blocks) are followed by a wait for the park. So the
// order in which every node sees every input is a function of the seed
// alone, and two runs of one seed make the same chain (Digest compares
// them). What stays outside that order (Pebble's background work, the API
// servers, which the simulation never calls) does not change what a node
// decides.
//
// A crash cancels a node's Run while it is parked (between two steps, as a
// kill between two loop iterations): its storage is closed cleanly, so the
// simulation does not model torn writes (the node's crash tests do, with
// real processes). A restart builds a new node.Node on the same home,
// which continues from the final blocks on disk.
//
// # Checks
//
// After every step the driver samples the stepping node: the fingerprint
// of its final state at its final slot (two nodes, or two lives of one
// node, must never disagree on the state after the same final slot), the
// coin supply (the sum of what every known address holds, rolls and
// deferred credits included, moves exactly by what execution says it
// minted and burnt), and the final status of the operations the test sent.
// Check adds the end-of-run invariants: every two running nodes have the
// same final block (or the same miss) at every slot both have finalized,
// every running node's finality is close to the clock, every operation
// sent is final on every running node, consensus's internal invariants
// hold, and no honest node banned another.
//
// # Use
//
//	s, err := sim.New(sim.Config{Seed: 7, Dir: dir, Drop: 0.05, Dup: 0.05})
//	defer s.Close()
//	s.RunPeriods(4)                       // virtual time: a few ms of real time
//	s.Partition([]int{0, 1}, []int{2, 3}) // cut the network in two
//	s.SendOperations(0, s.Transfer(0, s.NewAddress(), types.OneMAS))
//	s.Run(s.Now() + 2000)
//	s.Heal()
//	s.Crash(3); s.RunPeriods(10); s.Restart(3)
//	s.RunPeriods(22)
//	err = s.Check() // nil, or every violation, with the seed
//
// Nodes get fixed keys (node i stakes with its own key, given in memory:
// its wallet stays empty) and a genesis with seeded roll counts; their
// homes live under Config.Dir.
//
// # Tests
//
// go test ./internal/sim runs each scenario over many seeds in parallel
// (50 for the main ones). SIM_SEEDS=N runs N seeds each; -sim.seed=N
// reruns one (a failure prints the command); SIM_LOG=debug keeps the
// nodes' debug logs, printed with the report of a failing seed; SIM_DIR
// chooses where homes go (default /dev/shm when present: the nodes sync
// their databases on every final block).
package sim
