package api

import (
	"errors"
	"fmt"
)

// JSON-RPC error codes: the standard ones and Massa's (massa-api-exports).
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603
	CodeBadRequest     = -32000
	CodeInternalServer = -32001
	CodeNotFound       = -32004
	CodeExecution      = -32010
	CodeModels         = -32013
	CodeWallet         = -32015
	CodeWrongAPI       = -32019
	CodePool           = -32021
)

// Error is a JSON-RPC error object.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Errorf builds an Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is Massa's -32000 "Bad request: …".
func BadRequest(format string, args ...any) *Error {
	return &Error{Code: CodeBadRequest, Message: "Bad request: " + fmt.Sprintf(format, args...)}
}

// ErrNotSupported marks methods this node does not serve yet.
var ErrNotSupported = errors.New("not supported yet")

// ErrNoCertificate is returned by ListenTLS for a TLS configuration without
// a certificate.
var ErrNoCertificate = errors.New("no TLS certificate configured")

// ErrBadCA is returned by NewTLSClient when the certificate file to trust
// holds no PEM certificate.
var ErrBadCA = errors.New("no PEM certificate found")

// ErrUnauthorized is returned by the client when the private API refuses its token.
var ErrUnauthorized = errors.New("private API token missing or wrong")
