package client

import "errors"

// Sentinel errors; functions wrap them with what failed.
var (
	// ErrUnknownCommand: the command name is not in the table.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrUsage: wrong number or shape of arguments for a command.
	ErrUsage = errors.New("wrong arguments")
	// ErrBadArgument: an argument does not parse (address, amount, id...).
	ErrBadArgument = errors.New("invalid argument")
	// ErrConfig: the client configuration file is invalid.
	ErrConfig = errors.New("invalid client configuration")
	// ErrUnknownKey: the configuration file sets a key the client does not know.
	ErrUnknownKey = errors.New("unknown configuration key")
	// ErrNotInWallet: an address given to a wallet command is not in the wallet.
	ErrNotInWallet = errors.New("address not in the wallet")
	// ErrEmptyWallet: the command needs a wallet key and the wallet has none.
	ErrEmptyWallet = errors.New("the wallet holds no key")
	// ErrFeeTooLow: the fee is below the node's minimal fee.
	ErrFeeTooLow = errors.New("fee too low")
	// ErrQuote: an interactive line has an unterminated quote.
	ErrQuote = errors.New("unterminated quote")
)
