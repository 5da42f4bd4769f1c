// Package apperr is the one error type domain code returns. A code says what
// kind of failure it is; the HTTP layer maps codes to statuses in one place.
package apperr

import (
	"errors"
	"fmt"
)

// Codes, after benbjohnson/wtf.
const (
	EInvalid      = "invalid"      // the input is wrong; Message and Fields say how
	ENotFound     = "not_found"    // no such thing, or it belongs to another firm
	EConflict     = "conflict"     // the thing exists or the move is not allowed now
	EUnauthorized = "unauthorized" // not signed in or bad credentials
	EForbidden    = "forbidden"    // signed in but the role may not do this
	ETooMany      = "too_many"     // rate limited
	EUnavailable  = "unavailable"  // a dependency is down or busy; try again
	EInternal     = "internal"     // a bug or an unexpected failure; never shown verbatim
)

// Error is a coded error with a message meant for the user.
type Error struct {
	Code    string
	Message string
	// Fields holds per-field messages for EInvalid (form field or JSON field name).
	Fields map[string]string
	// Err is the cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a coded error with a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EInvalid error with per-field messages.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EInvalid, Message: "Please correct the fields marked below.", Fields: fields}
}

// NotFound is the answer for a missing row and for another firm's row alike.
func NotFound(what string) *Error {
	return &Error{Code: ENotFound, Message: what + " not found."}
}

// Internal wraps an unexpected error.
func Internal(err error) *Error {
	return &Error{Code: EInternal, Message: "Internal error.", Err: err}
}

// Code returns the code of err: its own when it is an *Error, EInternal otherwise.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// Message returns the user-facing message of err ("Internal error." unless coded).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "Internal error."
}

// FieldErrors returns the per-field messages of an EInvalid error (nil otherwise).
func FieldErrors(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
