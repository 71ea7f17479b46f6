// Command massa-node runs a gomassa node. With no configuration it starts a
// sandbox: a one-node local chain with a funded staking key.
package main

import (
	"fmt"
	"os"

	"github.com/gomassa/gomassa/internal/version"
)

func main() {
	fmt.Printf("gomassa massa-node %s (speaks %s)\n", version.Gomassa, version.String("MAIN"))
	os.Exit(0)
}
