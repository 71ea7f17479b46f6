package pool

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"

	"github.com/gomassa/gomassa/internal/types"
)

// State is what the pool reads of the speculative execution state.
type State interface {
	// CandidateBalance is the sender's balance after every executed slot,
	// final or speculative.
	CandidateBalance(types.Address) types.Amount
	// Executed reports whether an operation was executed in a final or
	// speculative slot (executed), and whether in a final one (final).
	// Only a final execution makes the pool forget it: one executed
	// speculatively stays (unselected) in case its block goes stale.
	Executed(types.OperationID) (executed, final bool)
	// CandidateRollCount is the sender's roll count after every executed
	// slot, final or speculative.
	CandidateRollCount(types.Address) uint64
}

// Config bounds the pool.
type Config struct {
	ThreadCount      uint8
	MaxCount         int          // whole pool, all threads
	MaxBytes         int          // whole pool, serialized sizes
	MinimalFee       types.Amount // refused below
	RollPrice        types.Amount
	MaxBlockSize     int
	MaxOpsPerBlock   int
	MaxGasPerBlock   uint64
	ValidityPeriods  uint64 // an op expiring later than current+this is refused
	MaxPerSenderSpan int    // unused for now: kept for per-sender caps
}

type entry struct {
	op      *types.SignedOperation
	spend   types.Amount
	removed bool
}

// Operations is the operation pool.
type Operations struct {
	cfg   Config
	state State

	mu      sync.Mutex
	byID    map[types.OperationID]*entry
	threads [][]*entry // per thread: a sorted prefix, then entries added since
	// sorted is the length of each thread's sorted prefix (removed
	// entries stay in place until the next sortThread); dirty says the
	// thread has removed entries or an unsorted tail.
	sorted []int
	dirty  []bool
	// removedIn counts removed entries still in each thread's list; Prune
	// compacts a list once they are half of it (BlockOperations compacts
	// the thread it reads anyway).
	removedIn []int
	// bySender indexes pooled operations by sender, to count what they
	// promise to spend (and the rolls they sell) on top of the candidate
	// state. Operations already executed speculatively are skipped then:
	// the candidate state already holds their effect.
	bySender map[types.Address]map[types.OperationID]*entry
	// upper holds, per sender, what all its pooled operations promise,
	// executed or not: an upper bound of promised's exact sums. An
	// operation that fits under it fits under the exact sums too, so
	// admission only pays for promised (an execution lookup per pooled
	// operation of the sender) when the sender is near its limits.
	upper     map[types.Address]*promiseSums
	bytes     int
	count     int
	finalPer  []uint64 // latest final period per thread
	curPeriod uint64
}

// NewOperations builds an empty operation pool.
func NewOperations(cfg Config, state State) *Operations {
	return &Operations{
		cfg:       cfg,
		state:     state,
		byID:      make(map[types.OperationID]*entry),
		threads:   make([][]*entry, cfg.ThreadCount),
		sorted:    make([]int, cfg.ThreadCount),
		dirty:     make([]bool, cfg.ThreadCount),
		removedIn: make([]int, cfg.ThreadCount),
		bySender:  make(map[types.Address]map[types.OperationID]*entry),
		upper:     make(map[types.Address]*promiseSums),
		finalPer:  make([]uint64, cfg.ThreadCount),
	}
}

// SetCurrentPeriod tells the pool the current period, for expiry checks at
// the door.
func (p *Operations) SetCurrentPeriod(period uint64) {
	p.mu.Lock()
	p.curPeriod = period
	p.mu.Unlock()
}

// Check runs the checks of Add without adding; the API uses it to answer
// precisely before anything is stored.
func (p *Operations) Check(op *types.SignedOperation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.check(op)
}

func (p *Operations) check(op *types.SignedOperation) error {
	o := &op.Op
	if o.ExpirePeriod < p.curPeriod {
		return fmt.Errorf("%w: expire_period %d is before the current period %d", ErrExpired, o.ExpirePeriod, p.curPeriod)
	}
	th := op.Thread(p.cfg.ThreadCount)
	if o.ExpirePeriod <= p.finalPer[th] {
		return fmt.Errorf("%w: expire_period %d is not after the last final period %d of thread %d", ErrExpired, o.ExpirePeriod, p.finalPer[th], th)
	}
	if p.cfg.ValidityPeriods > 0 && o.ExpirePeriod > p.curPeriod+p.cfg.ValidityPeriods+1 {
		return fmt.Errorf("%w: expire_period %d is more than %d periods after the current period %d", ErrTooFarInFuture, o.ExpirePeriod, p.cfg.ValidityPeriods, p.curPeriod)
	}
	if o.Fee < p.cfg.MinimalFee {
		return fmt.Errorf("%w: fee %s is lower than the pool's minimum %s", ErrFeeTooLow, o.Fee, p.cfg.MinimalFee)
	}
	if p.cfg.MaxBlockSize > 0 && op.SerializedLen > p.cfg.MaxBlockSize {
		return fmt.Errorf("%w: %d bytes, a block holds %d", ErrTooLarge, op.SerializedLen, p.cfg.MaxBlockSize)
	}
	if p.cfg.MaxGasPerBlock > 0 && o.GasUsage() > p.cfg.MaxGasPerBlock {
		return fmt.Errorf("%w: %d > %d", ErrTooMuchGas, o.GasUsage(), p.cfg.MaxGasPerBlock)
	}
	// Executed first: an operation executed speculatively stays pooled
	// until final, and re-sending it must say it ran, not that it waits.
	if executed, _ := p.state.Executed(op.ID); executed {
		return fmt.Errorf("%w: %s", ErrAlreadyExecuted, op.ID)
	}
	if _, ok := p.byID[op.ID]; ok {
		return fmt.Errorf("%w: %s", ErrDuplicate, op.ID)
	}
	up := p.upper[op.CreatorAddr]
	if up == nil {
		up = &promiseSums{}
	}
	if o.Type == types.OpRollSell {
		owned := p.state.CandidateRollCount(op.CreatorAddr)
		var pendingSells uint64
		if o.RollCount == 0 || !up.sells.fits(o.RollCount, owned) {
			_, pendingSells = p.promised(op.CreatorAddr)
		}
		if o.RollCount == 0 || o.RollCount > owned || pendingSells+o.RollCount > owned {
			if pendingSells > 0 {
				return fmt.Errorf("%w: selling %d rolls, sender %s owns %d of which %d are already sold by pooled operations",
					ErrNotEnoughRolls, o.RollCount, op.CreatorAddr, owned, pendingSells)
			}
			return fmt.Errorf("%w: selling %d rolls, sender %s owns %d", ErrNotEnoughRolls, o.RollCount, op.CreatorAddr, owned)
		}
	}
	spend := o.MaxSpending(p.cfg.RollPrice)
	bal := p.state.CandidateBalance(op.CreatorAddr)
	if up.spend.fits(uint64(spend), uint64(bal)) {
		return nil
	}
	promised, _ := p.promised(op.CreatorAddr)
	avail := bal.SaturatingSub(promised)
	if spend > avail {
		if promised > 0 {
			return fmt.Errorf("%w: operation spends up to %s MAS (fee %s), sender %s has %s MAS of which %s is already promised to pooled operations",
				ErrInsufficientBalance, spend, o.Fee, op.CreatorAddr, bal, promised)
		}
		return fmt.Errorf("%w: operation spends up to %s MAS (fee %s), sender %s has %s MAS", ErrInsufficientBalance, spend, o.Fee, op.CreatorAddr, bal)
	}
	return nil
}

// Add checks op and stores it. The signature must have been verified by
// the caller (in a batch).
func (p *Operations) Add(op *types.SignedOperation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.check(op); err != nil {
		return err
	}
	if p.count >= p.cfg.MaxCount || p.bytes+op.SerializedLen > p.cfg.MaxBytes {
		if !p.evictFor(op) {
			return fmt.Errorf("%w: %d operations, %d bytes; fee %s is not higher than the lowest pooled fee", ErrPoolFull, p.count, p.bytes, op.Op.Fee)
		}
	}
	e := &entry{op: op, spend: op.Op.MaxSpending(p.cfg.RollPrice)}
	p.byID[op.ID] = e
	th := op.Thread(p.cfg.ThreadCount)
	p.threads[th] = append(p.threads[th], e)
	p.dirty[th] = true
	m := p.bySender[op.CreatorAddr]
	if m == nil {
		m = make(map[types.OperationID]*entry)
		p.bySender[op.CreatorAddr] = m
	}
	m[op.ID] = e
	up := p.upper[op.CreatorAddr]
	if up == nil {
		up = &promiseSums{}
		p.upper[op.CreatorAddr] = up
	}
	up.spend.add(uint64(e.spend))
	if op.Op.Type == types.OpRollSell {
		up.sells.add(op.Op.RollCount)
	}
	p.count++
	p.bytes += op.SerializedLen
	return nil
}

// promiseSums are exact sums (they cannot overflow) of what a sender's
// pooled operations may spend and the rolls they sell.
type promiseSums struct {
	spend, sells sum128
}

// sum128 is an unsigned 128-bit sum.
type sum128 struct{ hi, lo uint64 }

func (s *sum128) add(v uint64) {
	var c uint64
	s.lo, c = bits.Add64(s.lo, v, 0)
	s.hi += c
}

func (s *sum128) sub(v uint64) {
	var b uint64
	s.lo, b = bits.Sub64(s.lo, v, 0)
	s.hi -= b
}

// fits reports whether s + v <= limit.
func (s sum128) fits(v, limit uint64) bool {
	lo, c := bits.Add64(s.lo, v, 0)
	return s.hi == 0 && c == 0 && lo <= limit
}

// promised sums what the sender's pooled operations not yet executed may
// spend, and the rolls they sell.
func (p *Operations) promised(addr types.Address) (spend types.Amount, sells uint64) {
	for id, e := range p.bySender[addr] {
		if executed, _ := p.state.Executed(id); executed {
			continue
		}
		spend = spend.SaturatingAdd(e.spend)
		if e.op.Op.Type == types.OpRollSell {
			sells += e.op.Op.RollCount
		}
	}
	return spend, sells
}

// evictFor drops the lowest-fee operation of the whole pool if op pays
// more; it reports whether room was made.
func (p *Operations) evictFor(op *types.SignedOperation) bool {
	var worst *entry
	for th := range p.threads {
		p.sortThread(th)
		list := p.threads[th]
		if len(list) == 0 {
			continue
		}
		last := list[len(list)-1]
		if worst == nil || less(worst, last) {
			worst = last
		}
	}
	if worst == nil || worst.op.Op.Fee >= op.Op.Fee {
		return false
	}
	p.remove(worst)
	return true
}

// less reports whether a ranks after b (a is worse).
func less(b, a *entry) bool {
	if a.op.Op.Fee != b.op.Op.Fee {
		return a.op.Op.Fee < b.op.Op.Fee
	}
	return a.op.ID.Compare(b.op.ID) > 0
}

func (p *Operations) remove(e *entry) {
	if e.removed {
		return
	}
	e.removed = true
	delete(p.byID, e.op.ID)
	addr := e.op.CreatorAddr
	if up := p.upper[addr]; up != nil {
		up.spend.sub(uint64(e.spend))
		if e.op.Op.Type == types.OpRollSell {
			up.sells.sub(e.op.Op.RollCount)
		}
	}
	if m := p.bySender[addr]; m != nil {
		delete(m, e.op.ID)
		if len(m) == 0 {
			delete(p.bySender, addr)
			delete(p.upper, addr)
		}
	}
	p.count--
	p.bytes -= e.op.SerializedLen
	th := e.op.Thread(p.cfg.ThreadCount)
	p.dirty[th] = true
	p.removedIn[th]++
}

// rank orders entries by fee (desc), then id: a total order, since ids
// are unique.
func rank(a, b *entry) int {
	if a.op.Op.Fee != b.op.Op.Fee {
		if a.op.Op.Fee > b.op.Op.Fee {
			return -1
		}
		return 1
	}
	return a.op.ID.Compare(b.op.ID)
}

// sortThread drops removed entries and restores the order by fee (desc),
// then id. The prefix is still sorted (removing keeps an order), so only
// the entries added since the last call are sorted, then merged in: this
// runs every slot on pools of hundreds of thousands of operations, where
// sorting everything again cost a noticeable share of the node's CPU.
func (p *Operations) sortThread(th int) {
	if !p.dirty[th] {
		return
	}
	list := p.threads[th]
	head := list[:0]
	for _, e := range list[:p.sorted[th]] {
		if !e.removed {
			head = append(head, e)
		}
	}
	var tail []*entry
	for _, e := range list[p.sorted[th]:] {
		if !e.removed {
			tail = append(tail, e)
		}
	}
	out := head
	if len(tail) > 0 {
		slices.SortFunc(tail, rank)
		out = make([]*entry, 0, len(head)+len(tail))
		i, j := 0, 0
		for i < len(head) && j < len(tail) {
			if rank(head[i], tail[j]) < 0 {
				out = append(out, head[i])
				i++
			} else {
				out = append(out, tail[j])
				j++
			}
		}
		out = append(append(out, head[i:]...), tail[j:]...)
	} else {
		clear(list[len(head):]) // the compacted prefix shares list's array
	}
	p.threads[th] = out
	p.sorted[th] = len(out)
	p.dirty[th] = false
	p.removedIn[th] = 0
}

// Contains reports whether id is pooled.
func (p *Operations) Contains(id types.OperationID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byID[id]
	return ok
}

// Get returns a pooled operation.
func (p *Operations) Get(id types.OperationID) (*types.SignedOperation, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byID[id]
	if !ok {
		return nil, false
	}
	return e.op, true
}

// Len returns the number of pooled operations and their bytes.
func (p *Operations) Len() (count, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count, p.bytes
}

// HasRoomFor reports whether count more operations of size bytes in all
// fit without evicting any pooled operation.
func (p *Operations) HasRoomFor(count, bytes int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count+count <= p.cfg.MaxCount && p.bytes+bytes <= p.cfg.MaxBytes
}

// BlockOperations picks, for a block at slot, the best-paying operations of
// the slot's thread that are valid at its period and fit the block's size,
// count and gas limits. Operations already executed are skipped (and
// dropped). The running balance of each sender is checked so that a block
// does not carry operations its sender cannot pay.
func (p *Operations) BlockOperations(slot types.Slot) []*types.SignedOperation {
	// The pool's lock is held only to sort the thread and copy its list:
	// the checks below ask execution about every candidate, which took the
	// lock from send_operations for a tenth of a second per block under load.
	type candidate struct {
		op    *types.SignedOperation
		spend types.Amount
	}
	p.mu.Lock()
	th := int(slot.Thread)
	if th >= len(p.threads) {
		p.mu.Unlock()
		return nil
	}
	p.sortThread(th)
	cands := make([]candidate, 0, len(p.threads[th]))
	for _, e := range p.threads[th] {
		if !e.removed {
			cands = append(cands, candidate{e.op, e.spend})
		}
	}
	p.mu.Unlock()

	var (
		out      []*types.SignedOperation
		finalIDs []types.OperationID
		size     int
		gas      uint64
		spent    = make(map[types.Address]types.Amount)
		balances = make(map[types.Address]types.Amount)
	)
	for _, c := range cands {
		if len(out) >= p.cfg.MaxOpsPerBlock {
			break
		}
		o := &c.op.Op
		if slot.Period > o.ExpirePeriod || slot.Period < o.ValidityStart() {
			continue
		}
		if size+c.op.SerializedLen > p.cfg.MaxBlockSize {
			continue
		}
		g := o.GasUsage()
		if gas+g > p.cfg.MaxGasPerBlock {
			continue
		}
		if executed, final := p.state.Executed(c.op.ID); executed {
			if final {
				finalIDs = append(finalIDs, c.op.ID)
			}
			continue
		}
		addr := c.op.CreatorAddr
		bal, ok := balances[addr]
		if !ok {
			bal = p.state.CandidateBalance(addr)
			balances[addr] = bal
		}
		if spent[addr].SaturatingAdd(o.Fee) > bal {
			continue
		}
		spent[addr] = spent[addr].SaturatingAdd(c.spend)
		out = append(out, c.op)
		size += c.op.SerializedLen
		gas += g
	}
	if len(finalIDs) > 0 {
		p.Remove(finalIDs)
	}
	return out
}

// Prune drops operations that can no longer be included because they
// expired with respect to the final periods of their thread. Operations
// executed in a final slot are dropped by Remove, with the ids execution
// reports: asking the state about every pooled operation at every final
// period change cost most of the node's CPU under load.
//
// Only threads whose final period moved are scanned, and a thread's list
// is compacted only when removed entries make up half of it: Prune runs at
// every final period change, on pools of a million operations under load.
func (p *Operations) Prune(finalPeriods []uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for th := range p.threads {
		if th < len(finalPeriods) && finalPeriods[th] != p.finalPer[th] {
			fp := finalPeriods[th]
			p.finalPer[th] = fp
			for _, e := range p.threads[th] {
				if !e.removed && e.op.Op.ExpirePeriod <= fp {
					p.remove(e)
				}
			}
		}
		if 2*p.removedIn[th] > len(p.threads[th]) {
			p.sortThread(th)
		}
	}
}

// Remove drops the given operations, for example those execution reports
// as executed in a final slot. Unknown ids are ignored.
func (p *Operations) Remove(ids []types.OperationID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if e, ok := p.byID[id]; ok {
			p.remove(e)
		}
	}
}
