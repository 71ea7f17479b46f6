package node

import (
	"errors"
	"sync"

	"github.com/gomassa/gomassa/internal/pool"
	"github.com/gomassa/gomassa/internal/types"
)

// maxCompoundRecords bounds the history of roll buys kept for queries.
const maxCompoundRecords = 256

// compounder is auto-compounding ([staking] auto_compound): once per slot,
// each selected staking address whose candidate balance covers a roll
// above the reserve and the fee gets a RollBuy of
// floor((balance - reserve - fee) / roll_price) rolls, signed with its
// staking key and put in the node's own pool, which the node's next block
// of that thread includes. One buy per address is pending at a time: the
// next is sent only once the previous one left the pool and was executed
// or can no longer be.
type compounder struct {
	all          bool
	addrs        []types.Address
	reserve, fee types.Amount

	lastSlot types.Slot
	haveLast bool

	mu       sync.Mutex
	pending  map[types.Address]compoundBuy
	noKey    map[types.Address]bool
	failures map[types.Address]string
	records  []compoundBuy
}

// compoundBuy is one roll buy auto-compounding sent.
type compoundBuy struct {
	Address types.Address
	ID      types.OperationID
	Rolls   uint64
	Balance types.Amount // candidate balance when it was sent
	Slot    types.Slot   // slot at which it was sent
	Expire  uint64
	Thread  uint8
}

func newCompounder(n *Node) *compounder {
	s := &n.cfg.Staking
	all, addrs, err := s.AutoCompoundTargets()
	if err != nil || (!all && len(addrs) == 0) {
		// config.Validate refused a bad list; nothing selected: off.
		return nil
	}
	return &compounder{
		all: all, addrs: addrs,
		reserve: s.AutoCompoundReserve.Amount, fee: s.AutoCompoundFee.Amount,
		pending: map[types.Address]compoundBuy{}, noKey: map[types.Address]bool{}, failures: map[types.Address]string{},
	}
}

// autoCompound runs auto-compounding once per new slot. Main loop only,
// without n.mu.
func (n *Node) autoCompound(now uint64) {
	c := n.monitor.compound
	if c == nil {
		return
	}
	cur, ok := n.cp.LatestSlotAt(now)
	if !ok || cur.Period <= n.params.LastStartPeriod || (c.haveLast && !c.lastSlot.Less(cur)) {
		return
	}
	c.lastSlot, c.haveLast = cur, true
	targets := c.addrs
	if c.all {
		targets = n.staking.Addresses()
	}
	var finalPeriods []uint64
	for _, a := range targets {
		key, ok := n.staking.Get(a)
		if !ok {
			c.mu.Lock()
			first := !c.noKey[a]
			c.noKey[a] = true
			c.mu.Unlock()
			if first {
				n.log.Warn("auto-compound: [staking] auto_compound lists an address the node does not stake with; add its key (massa-client node_start_staking) or remove it from the list", "address", a)
			}
			continue
		}
		c.mu.Lock()
		delete(c.noKey, a)
		prev, busy := c.pending[a]
		c.mu.Unlock()
		if busy {
			if finalPeriods == nil {
				n.mu.RLock()
				finalPeriods = n.graph.LatestFinalPeriods()
				n.mu.RUnlock()
			}
			if n.compoundPending(prev, finalPeriods) {
				continue
			}
			c.mu.Lock()
			delete(c.pending, a)
			c.mu.Unlock()
		}
		bal, _, err := n.exec.CandidateBalance(a)
		if err != nil {
			continue
		}
		price := n.params.RollPrice
		spendable := bal.SaturatingSub(c.reserve).SaturatingSub(c.fee)
		if price == 0 || spendable < price {
			continue
		}
		rolls := uint64(spendable) / uint64(price)
		expire := cur.Period + n.params.OperationValidityPeriods
		if cur.Thread >= a.Thread(n.params.ThreadCount) {
			expire++
		}
		op := types.SignOperation(types.Operation{Type: types.OpRollBuy, Fee: c.fee, RollCount: rolls, ExpirePeriod: expire}, key, n.params.ChainID)
		if err := n.opPool.Add(op); err != nil {
			c.mu.Lock()
			repeated := c.failures[a] == err.Error()
			c.failures[a] = err.Error()
			c.mu.Unlock()
			// The pool may still count a buy executed a moment ago against
			// the balance; the next slot retries. Say so once per cause.
			if !repeated && !errors.Is(err, pool.ErrInsufficientBalance) {
				n.log.Warn("auto-compound: the node's pool refused the roll buy", "address", a, "rolls", rolls, "err", err)
			}
			continue
		}
		buy := compoundBuy{Address: a, ID: op.ID, Rolls: rolls, Balance: bal, Slot: cur, Expire: expire, Thread: op.Thread(n.params.ThreadCount)}
		c.mu.Lock()
		delete(c.failures, a)
		c.pending[a] = buy
		if len(c.records) >= maxCompoundRecords {
			c.records = c.records[1:]
		}
		c.records = append(c.records, buy)
		c.mu.Unlock()
		n.log.Info("auto-compound: roll buy sent", "address", a, "rolls", rolls, "candidate_balance", bal,
			"reserve", c.reserve, "fee", c.fee, "roll_price", price, "operation", op.ID, "expire_period", expire)
	}
}

// compoundPending reports whether a buy still blocks the next one: it is
// in the pool, or not executed yet while a block may still include it.
func (n *Node) compoundPending(b compoundBuy, finalPeriods []uint64) bool {
	if n.opPool.Contains(b.ID) {
		return true
	}
	st := n.exec.OpExecStatus([]types.OperationID{b.ID})
	if len(st) == 1 && (st[0].Speculative != nil || st[0].Final != nil) {
		return false
	}
	if int(b.Thread) < len(finalPeriods) && finalPeriods[b.Thread] >= b.Expire {
		n.log.Info("auto-compound: roll buy expired without being executed; a new one follows", "address", b.Address, "operation", b.ID)
		return false
	}
	return true
}

// compoundRecords lists the roll buys auto-compounding sent (tests).
func (n *Node) compoundRecords() []compoundBuy {
	if n.monitor == nil || n.monitor.compound == nil {
		return nil
	}
	c := n.monitor.compound
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]compoundBuy(nil), c.records...)
}
