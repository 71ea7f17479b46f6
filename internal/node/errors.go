package node

import "errors"

// errNoFinalBlock: the block database holds no final block at a slot (a
// miss, or a slot not final yet).
var errNoFinalBlock = errors.New("no final block stored")
