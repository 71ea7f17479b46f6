// Command massa-client is the operator's client: wallet, operations and node
// administration over the node's JSON-RPC API.
package main

import (
	"fmt"

	"github.com/gomassa/gomassa/internal/version"
)

func main() {
	fmt.Printf("gomassa massa-client %s\n", version.Gomassa)
}
