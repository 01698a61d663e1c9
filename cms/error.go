package cms

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status in cms/web.
const (
	EINVALID      = "invalid"      // 422: input failed validation; Fields names the culprits
	EBADREQUEST   = "bad_request"  // 400: the request itself is malformed (JSON syntax, wrong types)
	EUNAUTHORIZED = "unauthorized" // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"    // 403: authenticated, but not allowed
	ENOTFOUND     = "not_found"    // 404
	ECONFLICT     = "conflict"     // 409: stale version, duplicate key, wrong state
	ETOOLARGE     = "too_large"    // 413
	EUNSUPPORTED  = "unsupported"  // 415: media type not accepted
	ERATELIMIT    = "rate_limited" // 429
	EINTERNAL     = "internal"     // 500: never shown to clients in detail
	EUNAVAILABLE  = "unavailable"  // 503: not ready yet, shutting down
)

// Error is the one error type that crosses package boundaries with meaning.
// Message is safe to show to users (Simplified Chinese); Fields maps a JSON
// field name to what is wrong with it.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// Current carries the current state for a conflict (for example the
	// current version of a story), so clients can show it.
	Current any
	// Details carries structured findings clients show next to the message,
	// such as the wording hits that block an approval.
	Details any
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("huimin error: code=%s message=%s fields=%v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("huimin error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the offending fields.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EINVALID, Message: "提交的内容有误，请检查标出的字段", Fields: fields}
}

// invalidIf is Invalid(f) when f names a field, and nil when it is empty:
// the end of every Validate.
func invalidIf(f map[string]string) error {
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// ErrorCode returns the code of an *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic message so no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return InternalMessage
}

// InternalMessage is all a client learns of an internal error.
const InternalMessage = "服务器内部错误，请稍后重试"

// Wrap annotates *errp with the operation name, keeping the error chain so
// ErrorCode still finds a *Error. Use as: defer cms.Wrap(&err, "UpdateStory(%d)", id).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
