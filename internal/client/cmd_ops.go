package client

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gomassa/gomassa/internal/api"
	"github.com/gomassa/gomassa/internal/types"
)

// currentSlot is the slot the node is at: its last_slot, or when it has
// none yet, the slot of its current_time (Massa's client takes the latest
// slot at the current time; the node's clock is used so that the client's
// clock does not matter).
func currentSlot(st *api.NodeStatus) types.Slot {
	if st.LastSlot != nil {
		return *st.LastSlot
	}
	c := st.Config
	if c.T0 == 0 || c.ThreadCount == 0 || st.CurrentTime < c.GenesisTimestamp {
		return types.Slot{}
	}
	elapsed := st.CurrentTime - c.GenesisTimestamp
	var thread uint64
	if step := c.T0 / uint64(c.ThreadCount); step > 0 {
		thread = min((elapsed%c.T0)/step, uint64(c.ThreadCount)-1)
	}
	return types.Slot{Period: elapsed / c.T0, Thread: uint8(thread)}
}

// ExpirePeriod is the expire period massa-client gives a new operation of
// sender (spec §6.4): the current period plus the validity window, one more
// when the current slot's thread is at or past the sender's thread (the
// sender's slot of the current period is already gone).
func ExpirePeriod(st *api.NodeStatus, sender types.Address) uint64 {
	cur := currentSlot(st)
	exp := cur.Period + st.Config.OperationValidityPeriods
	if cur.Thread >= sender.Thread(st.Config.ThreadCount) {
		exp++
	}
	return exp
}

// sendOperation signs op for sender with the wallet key and sends it:
// expire period from the node's status, signed for the node's chain id.
func sendOperation(ctx context.Context, s *Session, sender types.Address, op types.Operation) (*Result, error) {
	w, err := s.Wallet()
	if err != nil {
		return nil, err
	}
	key, ok := w.Get(sender)
	if !ok {
		return nil, fmt.Errorf("%w: %s; the sender must be a wallet address (see wallet_info)", ErrNotInWallet, s.display.Address(sender))
	}
	var st api.NodeStatus
	if err := s.call(ctx, public, "get_status", nil, &st); err != nil {
		return nil, err
	}
	s.checkChainID(st.ChainID)
	if op.Fee < st.MinimalFees {
		return nil, fmt.Errorf("%w: Fee %s is lower than the node's minimal fee %s", ErrFeeTooLow, mas(op.Fee), mas(st.MinimalFees))
	}
	s.checkBalance(ctx, sender, op.MaxSpending(st.Config.RollPrice))
	if op.Type == types.OpExecuteSC && st.Config.MaxBlockSize > 0 && len(op.Bytecode()) > int(st.Config.MaxBlockSize) {
		s.warn("the bytecode (%d bytes) is larger than a block (%d bytes): the node will reject the operation", len(op.Bytecode()), st.Config.MaxBlockSize)
	}
	op.ExpirePeriod = ExpirePeriod(&st, sender)
	so := types.SignOperation(op, key, st.ChainID)
	in := []api.OperationInput{{
		CreatorPublicKey:  so.Creator.String(),
		Signature:         so.Signature.String(),
		SerializedContent: so.Content,
	}}
	var ids []types.OperationID
	if err := s.call(ctx, public, "send_operations", []any{in}, &ids); err != nil {
		return nil, err
	}
	if len(ids) != 1 || ids[0] != so.ID {
		s.warn("the node answered operation ids %v, the client computed %s", strs(ids), so.ID)
	}
	return &Result{JSON: ids, Human: func(p *Printer) {
		p.Line("Sent operation:")
		for _, id := range ids {
			p.Line("%s", p.D.OperationID(id))
		}
		p.Line("It is valid until period %d; follow it with get_operations.", op.ExpirePeriod)
	}}, nil
}

// checkBalance warns, best effort, when the sender's candidate balance does
// not cover what the operation may spend.
func (s *Session) checkBalance(ctx context.Context, addr types.Address, need types.Amount) {
	var infos []api.AddressInfo
	if err := s.call(ctx, public, "get_addresses", []any{[]string{addr.String()}}, &infos); err != nil || len(infos) != 1 {
		return
	}
	if have := infos[0].CandidateBalance; have < need {
		s.warn("%s has %s and this operation may spend %s: it may be rejected for insufficient balance",
			s.display.Address(addr), mas(have), mas(need))
	}
}

func cmdSendTransaction(ctx context.Context, s *Session, args []string) (*Result, error) {
	from, err := argAddress("SenderAddress", args[0])
	if err != nil {
		return nil, err
	}
	to, err := argAddress("ReceiverAddress", args[1])
	if err != nil {
		return nil, err
	}
	amount, err := argAmount("Amount", args[2])
	if err != nil {
		return nil, err
	}
	fee, err := argAmount("Fee", args[3])
	if err != nil {
		return nil, err
	}
	return sendOperation(ctx, s, from, types.Operation{Type: types.OpTransaction, Fee: fee, Recipient: to, Amount: amount})
}

func rollOp(args []string, typ types.OpType) (types.Address, types.Operation, error) {
	addr, err := argAddress("Address", args[0])
	if err != nil {
		return addr, types.Operation{}, err
	}
	n, err := argU64("RollCount", args[1])
	if err != nil {
		return addr, types.Operation{}, err
	}
	if n == 0 {
		return addr, types.Operation{}, badArg("RollCount", fmt.Errorf("must be at least 1"))
	}
	fee, err := argAmount("Fee", args[2])
	if err != nil {
		return addr, types.Operation{}, err
	}
	return addr, types.Operation{Type: typ, Fee: fee, RollCount: n}, nil
}

func cmdBuyRolls(ctx context.Context, s *Session, args []string) (*Result, error) {
	addr, op, err := rollOp(args, types.OpRollBuy)
	if err != nil {
		return nil, err
	}
	r, err := sendOperation(ctx, s, addr, op)
	if err != nil {
		return nil, err
	}
	// Rolls only earn when the node stakes with the address; say so, best effort.
	var staking []types.Address
	if s.call(ctx, private, "get_staking_addresses", nil, &staking) == nil && !slices.Contains(staking, addr) {
		s.warn("the node does not stake with %s; run node_start_staking %s so that its rolls produce blocks", s.display.Address(addr), addr)
	}
	return r, nil
}

func cmdSellRolls(ctx context.Context, s *Session, args []string) (*Result, error) {
	addr, op, err := rollOp(args, types.OpRollSell)
	if err != nil {
		return nil, err
	}
	return sendOperation(ctx, s, addr, op)
}

// readBytecode reads a bytecode file, refusing one larger than the protocol
// allows before reading it.
func readBytecode(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badArg("PathToBytecode", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, badArg("PathToBytecode", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, badArg("PathToBytecode", fmt.Errorf("%s is not a regular file", path))
	}
	if fi.Size() > types.MaxBytecodeLength {
		return nil, badArg("PathToBytecode", fmt.Errorf("%s has %d bytes, more than the %d a bytecode may have", path, fi.Size(), types.MaxBytecodeLength))
	}
	data, err := io.ReadAll(io.LimitReader(f, types.MaxBytecodeLength+1))
	if err != nil {
		return nil, badArg("PathToBytecode", err)
	}
	if len(data) > types.MaxBytecodeLength {
		return nil, badArg("PathToBytecode", fmt.Errorf("%s grew past %d bytes while read", path, types.MaxBytecodeLength))
	}
	return data, nil
}

// checkGas refuses an operation the node would refuse for its gas.
func checkGas(op *types.Operation) error {
	if g := op.GasUsage(); g > types.MaxGasPerBlock {
		return badArg("MaxGas", fmt.Errorf("%d plus the operation's base cost is %d, more than the %d gas a block allows", op.MaxGas(), g, uint64(types.MaxGasPerBlock)))
	}
	return nil
}

func cmdExecuteSC(ctx context.Context, s *Session, args []string) (*Result, error) {
	sender, err := argAddress("SenderAddress", args[0])
	if err != nil {
		return nil, err
	}
	maxGas, err := argU64("MaxGas", args[2])
	if err != nil {
		return nil, err
	}
	maxCoins, err := argAmount("MaxCoins", args[3])
	if err != nil {
		return nil, err
	}
	fee, err := argAmount("Fee", args[4])
	if err != nil {
		return nil, err
	}
	code, err := readBytecode(args[1])
	if err != nil {
		return nil, err
	}
	op := types.Operation{Type: types.OpExecuteSC, Fee: fee, SC: &types.SCFields{MaxGas: maxGas, MaxCoins: maxCoins, Bytecode: code}}
	if err := checkGas(&op); err != nil {
		return nil, err
	}
	return sendOperation(ctx, s, sender, op)
}

func checkFunction(what, name string) error {
	if len(name) == 0 || len(name) > types.MaxFunctionNameLength {
		return badArg(what, fmt.Errorf("%d bytes; a function name has 1 to %d", len(name), types.MaxFunctionNameLength))
	}
	return nil
}

func cmdCallSC(ctx context.Context, s *Session, args []string) (*Result, error) {
	sender, err := argAddress("SenderAddress", args[0])
	if err != nil {
		return nil, err
	}
	target, err := argAddress("TargetAddress", args[1])
	if err != nil {
		return nil, err
	}
	if err := checkFunction("FunctionName", args[2]); err != nil {
		return nil, err
	}
	maxGas, err := argU64("MaxGas", args[4])
	if err != nil {
		return nil, err
	}
	coins, err := argAmount("Coins", args[5])
	if err != nil {
		return nil, err
	}
	fee, err := argAmount("Fee", args[6])
	if err != nil {
		return nil, err
	}
	op := types.Operation{Type: types.OpCallSC, Fee: fee, SC: &types.SCFields{MaxGas: maxGas, Coins: coins, Target: target, Function: args[2], Param: []byte(args[3])}}
	if err := checkGas(&op); err != nil {
		return nil, err
	}
	return sendOperation(ctx, s, sender, op)
}

// readOnlyView is an ExecuteReadOnlyResponse as people read it.
type readOnlyView struct {
	ExecutedAt types.Slot `json:"executed_at"`
	Result     struct {
		Ok    *api.Bytes `json:"Ok"`
		Error *string    `json:"Error"`
	} `json:"result"`
	OutputEvents []api.SCOutputEvent `json:"output_events"`
	GasCost      uint64              `json:"gas_cost"`
}

func printReadOnly(p *Printer, rs []readOnlyView) {
	for _, r := range rs {
		res := "no result"
		switch {
		case r.Result.Error != nil:
			res = "error: " + *r.Result.Error
		case r.Result.Ok != nil:
			res = "ok, returned " + bytesText(*r.Result.Ok)
		}
		p.KVs(0,
			KV{"Executed at", slotText(r.ExecutedAt)},
			KV{"Result", res},
			KV{"Gas cost", fmt.Sprintf("%d", r.GasCost)},
			KV{"Events", fmt.Sprintf("%d", len(r.OutputEvents))},
		)
		printEvents(p, 2, r.OutputEvents)
	}
}

func optAmount(args []string, i int, what string) (*types.Amount, error) {
	if len(args) <= i {
		return nil, nil
	}
	a, err := argAmount(what, args[i])
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func optAddress(args []string, i int, what string) (*string, error) {
	if len(args) <= i {
		return nil, nil
	}
	a, err := argAddress(what, args[i])
	if err != nil {
		return nil, err
	}
	t := a.String()
	return &t, nil
}

func cmdReadOnlyExecute(ctx context.Context, s *Session, args []string) (*Result, error) {
	maxGas, err := argU64("MaxGas", args[1])
	if err != nil {
		return nil, err
	}
	addr, err := optAddress(args, 2, "Address")
	if err != nil {
		return nil, err
	}
	fee, err := optAmount(args, 3, "Fee")
	if err != nil {
		return nil, err
	}
	code, err := readBytecode(args[0])
	if err != nil {
		return nil, err
	}
	in := []api.ReadOnlyBytecodeInput{{MaxGas: maxGas, Bytecode: code, Address: addr, Fee: fee}}
	return query(ctx, s, public, "execute_read_only_bytecode", []any{in}, printReadOnly)
}

func cmdReadOnlyCall(ctx context.Context, s *Session, args []string) (*Result, error) {
	target, err := argAddress("TargetAddress", args[0])
	if err != nil {
		return nil, err
	}
	if err := checkFunction("TargetFunction", args[1]); err != nil {
		return nil, err
	}
	maxGas, err := argU64("MaxGas", args[3])
	if err != nil {
		return nil, err
	}
	caller, err := optAddress(args, 4, "SenderAddress")
	if err != nil {
		return nil, err
	}
	coins, err := optAmount(args, 5, "Coins")
	if err != nil {
		return nil, err
	}
	fee, err := optAmount(args, 6, "Fee")
	if err != nil {
		return nil, err
	}
	in := []api.ReadOnlyCallInput{{MaxGas: maxGas, TargetAddress: target.String(), TargetFunction: args[1],
		Parameter: api.Bytes(args[2]), CallerAddress: caller, Coins: coins, Fee: fee}}
	return query(ctx, s, public, "execute_read_only_call", []any{in}, printReadOnly)
}
