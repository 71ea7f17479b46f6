// Package config is the node's configuration: the operator's settings read
// from <home>/config/config.toml over built-in defaults, the network
// parameters (thread count, t0, genesis time, cycle length, prices), and the
// genesis of a network (initial ledger, rolls and deferred credits).
//
// Config is a tree of typed structs. Key names follow Massa's config.toml so
// that an operator's existing settings and the advice of Massa's FAQ work
// unchanged; [network] and Massa's [protocol] are the same section. Every
// file is read strictly: an unknown or misspelt key, a wrong type or a
// malformed file is an error naming the file, the line and the key, with the
// nearest known key suggested. Load validates what it returns, so services
// receive values they can use without re-checking.
//
// The package also owns the listening addresses: ParseBind reads them and
// CheckPortsFree tries each before any component starts, so that a taken
// port is one line naming the port, the config key and, when it can be
// found, the process that holds it.
//
// cmd/massa-node calls Load, CheckPorts and LoadGenesis, then hands the
// sections to internal/node, which passes each component its own section and
// the NetworkParams. `massa-node config dump` prints Dump's output.
package config
