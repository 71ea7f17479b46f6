// Package staking tests, end to end, what an operator sees when staking
// goes wrong: a real sandbox massa-node process (test/testnode) whose
// staking key was removed, diagnosed by the built massa-client's
// staking_doctor as a new user would run it. It has no non-test code.
package staking
