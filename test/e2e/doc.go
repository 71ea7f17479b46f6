// Package e2e holds end-to-end tests of whole gomassa nodes:
//
//   - TestWorkloadModel: a node in-process on a simulated clock gets about
//     3 200 random transfers, roll buys and roll sells through
//     send_operations; every balance, roll count and deferred credit is
//     checked against an independent model (rewards computed from the
//     final blocks), operations that must be refused are refused with
//     their reason and never reach a block, and the final blocks are
//     replayed twice (node.Replay) to the node's own fingerprint.
//   - TestWorkloadDeterminism: the same workload twice on two homes ends
//     in the same state fingerprint.
//   - TestRestartWithUnexecutedFinalBlocks: the disk image a SIGKILL
//     leaves between storing final blocks and executing them, rebuilt
//     deterministically, restarts into the replayed state.
//   - TestCrashRecovery (skipped with -short, about 3.5 minutes): a real
//     sandbox massa-node killed with SIGKILL at random moments while it
//     receives operations; after each kill its state must equal the replay
//     of its final blocks.
//   - TestPostMortem: a tool, run with GOMASSA_E2E_HOME set to a kept
//     home, that diffs its state against the replay.
//
// The package has no code of its own: everything is in its tests. Set
// GOMASSA_E2E_SEED to rerun a given seed.
package e2e
