package execution

import "github.com/gomassa/gomassa/internal/vm"

// VM runs smart-contract bytecode; *vm.VM (wazero with gas metering and
// the Massa host ABI) implements it. With no VM, ExecuteSC and CallSC
// operations fail (after their fee is paid) with ErrSCNotSupported,
// asynchronous messages never run (they expire and are reimbursed) and
// read-only requests fail.
//
// The slot execution context is the vm.Host a run works on: a returned
// error fails the operation (or message), and execution reverts every
// change the run made.
type VM interface {
	// RunMain runs the main function of a bytecode sent by ExecuteSC.
	RunMain(h vm.Host, bytecode []byte, maxGas uint64) (vm.Result, error)
	// RunFunction calls function(param) of a deployed bytecode.
	RunFunction(h vm.Host, bytecode []byte, function string, param []byte, maxGas uint64) (vm.Result, error)
}

var _ VM = (*vm.VM)(nil)
