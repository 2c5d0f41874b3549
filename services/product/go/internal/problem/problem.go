// Package problem is the product service's RFC 9457 error vocabulary: typed errors that code
// returns, and the one place (Write) that renders them as application/problem+json with the
// same `type` URNs, titles and fields as the TypeScript services (packages/kit/src/errors.ts).
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

const ContentType = "application/problem+json"

// FieldError names one offending input, e.g. {field: "body.price", message: "..."}.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a problem a handler returns; Write renders it.
type Error struct {
	Status     int
	Slug       string
	Title      string
	Detail     string
	Errors     []FieldError
	LimitBytes int
	// Accepted lists the media types a 415's route reads (also sent as the Accept header).
	Accepted []string
	// RetryAfter, in seconds, becomes the Retry-After header (0: none).
	RetryAfter int
	// Bearer adds `WWW-Authenticate: Bearer` (401 of a bearer-token route).
	Bearer bool
	// Allow lists the methods a 405's path answers (the Allow header).
	Allow []string
}

func (e *Error) Error() string { return e.Detail }

func Validation(detail string, errs ...FieldError) *Error {
	return &Error{Status: 422, Slug: "validation", Title: "Request does not match the schema", Detail: detail, Errors: errs}
}

// Field is a 422 about one field, worded like the TypeScript service's domain checks.
func Field(field, message string) *Error {
	return Validation(field+": "+message, FieldError{Field: field, Message: message})
}

func BadRequest(detail string, errs ...FieldError) *Error {
	return &Error{Status: 400, Slug: "bad-request", Title: "Bad request", Detail: detail, Errors: errs}
}

func Unauthorized(detail string) *Error {
	return &Error{Status: 401, Slug: "unauthorized", Title: "Unauthorized", Detail: detail, Bearer: true}
}

func Forbidden(detail string) *Error {
	return &Error{Status: 403, Slug: "forbidden", Title: "Forbidden", Detail: detail}
}

func NotFound(detail string) *Error {
	return &Error{Status: 404, Slug: "not-found", Title: "Not found", Detail: detail}
}

// MethodNotAllowed is the 405 of a path served with other methods (RFC 9110 §15.5.6).
func MethodNotAllowed(allowed []string) *Error {
	return &Error{Status: 405, Slug: "method-not-allowed", Title: "Method not allowed",
		Detail: "This path answers " + strings.Join(allowed, ", "), Allow: allowed}
}

func Conflict(slug, title, detail string) *Error {
	return &Error{Status: 409, Slug: slug, Title: title, Detail: detail}
}

func PayloadTooLarge(limit int) *Error {
	return &Error{Status: 413, Slug: "payload-too-large", Title: "Payload too large",
		Detail: "The body exceeds " + strconv.Itoa(limit) + " bytes", LimitBytes: limit}
}

// UnsupportedMediaType is the 415 of a body not sent as JSON; received is its Content-Type.
func UnsupportedMediaType(received string) *Error {
	detail := "This route reads application/json bodies: send Content-Type: application/json"
	if received != "" {
		detail = "This route reads application/json bodies, not " + received
	}
	return &Error{Status: 415, Slug: "unsupported-media-type", Title: "Unsupported media type",
		Detail: detail, Accepted: []string{"application/json"}}
}

func Unavailable(detail string, retryAfter int) *Error {
	return &Error{Status: 503, Slug: "unavailable", Title: "Service unavailable", Detail: detail, RetryAfter: retryAfter}
}

func Internal() *Error {
	return &Error{Status: 500, Slug: "internal", Title: "Internal server error", Detail: "Something went wrong on our side"}
}

// body keeps the field order of the TypeScript services' problems.
type body struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Instance   string       `json:"instance,omitempty"`
	RequestID  string       `json:"requestId,omitempty"`
	Errors     []FieldError `json:"errors,omitempty"`
	LimitBytes int          `json:"limitBytes,omitempty"`
	Accepted   []string     `json:"accepted,omitempty"`
}

// From maps whatever a handler returned to a problem: a problem as is, a dependency that cannot
// be reached as 503 with Retry-After (our outage, not a bug), anything else an opaque 500.
func From(err error) *Error {
	var typed *Error
	if errors.As(err, &typed) {
		return typed
	}
	if DependencyUnavailable(err) {
		return Unavailable("A service this needs is unreachable; try again shortly", 1)
	}
	return Internal()
}

// DependencyUnavailable is true when err says Postgres or a socket cannot serve us right now.
func DependencyUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		code := pgErr.Code
		return len(code) == 5 && (code[:2] == "08" || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	// A connection cut under an open pool ends in EOF (unexpected, mid-message) rather than a
	// network error: the TypeScript kit's CONNECTION_CLOSED/ENDED cases.
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.Is(err, context.DeadlineExceeded)
}

// Write renders err for the request; requestID is the request's id (also in X-Request-Id).
func Write(w http.ResponseWriter, r *http.Request, requestID string, err error) *Error {
	p := From(err)
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	if p.Bearer {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if len(p.Allow) > 0 {
		w.Header().Set("Allow", strings.Join(p.Allow, ", "))
	}
	if len(p.Accepted) > 0 {
		w.Header().Set("Accept", strings.Join(p.Accepted, ", "))
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(body{
		Type: "urn:flash-deal:problem:" + p.Slug, Title: p.Title, Status: p.Status, Detail: p.Detail,
		Instance: r.URL.Path, RequestID: requestID, Errors: p.Errors, LimitBytes: p.LimitBytes, Accepted: p.Accepted,
	})
	return p
}
