// Package input reads and checks request input by the rules every flash-deal service shares
// (docs: decisions §3, the TypeScript services' TypeBox schemas): bodies are JSON objects sent
// as application/json, unknown fields are refused, integers are JSON integers (never numeric
// strings), instants are RFC 3339 with an explicit offset, text never holds U+0000, UUIDs are
// accepted in any case and used in lower case. Every violation becomes one 422 naming each
// offending field (`body.price`, `query.limit`, `params.id`), unknown fields first.
package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"flash-deal/services/product/go/internal/problem"

	"github.com/google/uuid"
)

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	dateTimePattern = regexp.MustCompile(`^(\d{4})-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$`)
)

// Errors collects field errors in the order they were found.
type Errors struct{ list []problem.FieldError }

func (e *Errors) Add(field, message string) {
	for _, existing := range e.list {
		if existing.Field == field {
			return
		}
	}
	e.list = append(e.list, problem.FieldError{Field: field, Message: message})
}

// Err is the 422 of every error so far (its detail the first one), or nil.
func (e *Errors) Err() error {
	if len(e.list) == 0 {
		return nil
	}
	first := e.list[0]
	return problem.Validation(first.Field+": "+first.Message, e.list...)
}

// UUID parses a path or body id in any letter case; the canonical form is lower case.
func UUID(value string) (uuid.UUID, bool) {
	if !uuidPattern.MatchString(value) {
		return uuid.UUID{}, false
	}
	id, err := uuid.Parse(strings.ToLower(value))
	return id, err == nil
}

// PathID is the `{id}` of a route, or a 422 naming params.id.
func PathID(value string) (uuid.UUID, error) {
	id, ok := UUID(value)
	if !ok {
		return id, problem.Validation("params.id: Property 'id' should be uuid",
			problem.FieldError{Field: "params.id", Message: "Property 'id' should be uuid"})
	}
	return id, nil
}

// DateTime parses an RFC 3339 instant with an explicit offset (`T` and `Z` in either case, an
// offset of at most 23:59), a real calendar date and a year from 1970 to 9999: the kit's
// isInstant (packages/kit/src/formats.ts).
func DateTime(value string) (time.Time, bool) {
	match := dateTimePattern.FindStringSubmatch(value)
	if match == nil || match[1] < "1970" {
		return time.Time{}, false
	}
	if offset := match[3]; len(offset) == 6 && (offset[1:3] > "23" || offset[4:6] > "59") {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, strings.ToUpper(value))
	return at, err == nil
}

// Body is a JSON object body being read field by field.
type Body struct {
	fields map[string]json.RawMessage
	keys   []string
	used   map[string]bool
	Errors
}

// MaxDepth is the deepest nesting of arrays and objects a body may have (the kit's
// DEFAULT_MAX_BODY_DEPTH): checked in one pass before the body is decoded.
const MaxDepth = 32

// IsJSONMediaType: application/json, or a structured `+json` type (application/merge-patch+json).
func IsJSONMediaType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	return mediaType == "application/json" || (strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json"))
}

// ReadObject reads the body of a route that takes one, in the kit's order (readJsonBody): 413
// past the size limit, 415 when a body is not sent as JSON, 400 when it is not UTF-8 JSON, 422
// when it nests deeper than MaxDepth, holds U+0000 in any string, or is not an object (an
// empty body too: the route needs one).
func ReadObject(r *http.Request) (*Body, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, problem.PayloadTooLarge(int(tooLarge.Limit))
		}
		return nil, problem.BadRequest("The body could not be read")
	}
	notObject := problem.Validation("body: Expected object", problem.FieldError{Field: "body", Message: "Expected object"})
	if len(raw) == 0 {
		return nil, notObject
	}
	if contentType := r.Header.Get("Content-Type"); !IsJSONMediaType(contentType) {
		return nil, problem.UnsupportedMediaType(contentType)
	}
	if !utf8.Valid(raw) {
		return nil, problem.BadRequest("The body is not valid UTF-8")
	}
	if tooDeep(raw, MaxDepth) {
		detail := fmt.Sprintf("body: nests deeper than %d levels", MaxDepth)
		return nil, problem.Validation(detail, problem.FieldError{Field: "body", Message: fmt.Sprintf("must not nest deeper than %d levels", MaxDepth)})
	}
	if !json.Valid(raw) {
		return nil, problem.BadRequest("The body is not valid JSON for its content type")
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		if field := nulField(raw, "body"); field != "" {
			return nil, problem.Validation(field+": must not contain U+0000", problem.FieldError{Field: field, Message: "must not contain U+0000"})
		}
	}
	// A lone surrogate escape (`\ud800`) is not Unicode; encoding/json would put U+FFFD in its
	// place and Postgres store that: refused, as in TypeScript (packages/kit/src/body.ts).
	if hasLoneSurrogate(raw) {
		return nil, problem.Validation("body: must be well-formed Unicode (no lone surrogate)",
			problem.FieldError{Field: "body", Message: "must be well-formed Unicode (no lone surrogate)"})
	}
	b := &Body{fields: map[string]json.RawMessage{}, used: map[string]bool{}}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	if token, _ := decoder.Token(); token != json.Delim('{') {
		return nil, notObject
	}
	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			return nil, problem.BadRequest("The body is not valid JSON for its content type")
		}
		key := token.(string)
		var value json.RawMessage
		if err := decoder.Decode(&value); err != nil {
			return nil, problem.BadRequest("The body is not valid JSON for its content type")
		}
		if _, dup := b.fields[key]; !dup {
			b.keys = append(b.keys, key)
		}
		b.fields[key] = value
	}
	return b, nil
}

// tooDeep is the nesting depth outside strings, stopping at the first level past max (the
// kit's scanJson). It does not validate JSON; json.Valid does that afterwards.
func tooDeep(raw []byte, max int) bool {
	depth, inString := 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++ // the escaped character cannot end the string
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// hasLoneSurrogate reports a `\uD800`–`\uDBFF` escape not followed by a `\uDC00`–`\uDFFF`
// one, or a low one without a high one before it (the text is valid JSON, so every `\u` escape
// has four hex digits; an escaped backslash is skipped with the character it escapes).
func hasLoneSurrogate(raw []byte) bool {
	pendingHigh := false
	for i := 0; i < len(raw); i++ {
		isEscape := raw[i] == '\\' && i+1 < len(raw)
		if isEscape && raw[i+1] == 'u' && i+5 < len(raw) {
			code, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
			if err != nil {
				return false
			}
			low := code >= 0xDC00 && code <= 0xDFFF
			// A low half needs a high one just before it; after a high one, only a low one.
			if low != pendingHigh {
				return true
			}
			pendingHigh = code >= 0xD800 && code <= 0xDBFF
			i += 5
			continue
		}
		if pendingHigh {
			return true
		}
		if isEscape {
			i++
		}
	}
	return pendingHigh
}

// nulField is the path of the first string (value or key) holding U+0000, in document order
// (`body.name`, `body.tags.0`); the depth is already bounded.
func nulField(raw json.RawMessage, path string) string {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return ""
	}
	switch trimmed[0] {
	case '"':
		var text string
		if json.Unmarshal(trimmed, &text) == nil && strings.ContainsRune(text, 0) {
			return path
		}
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(trimmed, &items)
		for i, item := range items {
			if found := nulField(item, path+"."+strconv.Itoa(i)); found != "" {
				return found
			}
		}
	case '{':
		decoder := json.NewDecoder(bytes.NewReader(trimmed))
		_, _ = decoder.Token()
		for decoder.More() {
			token, err := decoder.Token()
			if err != nil {
				return ""
			}
			key, _ := token.(string)
			if strings.ContainsRune(key, 0) {
				return path
			}
			var value json.RawMessage
			if decoder.Decode(&value) != nil {
				return ""
			}
			if found := nulField(value, path+"."+key); found != "" {
				return found
			}
		}
	}
	return ""
}

func (b *Body) take(name string, required bool) (json.RawMessage, bool) {
	b.used[name] = true
	value, ok := b.fields[name]
	if !ok {
		if required {
			b.Add("body."+name, fmt.Sprintf("Property '%s' is missing", name))
		}
		return nil, false
	}
	return value, true
}

// Has says whether the body carries the field at all.
func (b *Body) Has(name string) bool {
	_, ok := b.fields[name]
	return ok
}

// Text is a string field with a length range and an optional pattern.
func (b *Body) Text(name string, required bool, minLen, maxLen int, pattern *regexp.Regexp) *string {
	raw, ok := b.take(name, required)
	if !ok {
		return nil
	}
	var value string
	// json.Unmarshal leaves a string untouched for null: null is not a string here.
	if isNull(raw) || json.Unmarshal(raw, &value) != nil {
		b.Add("body."+name, "Expected string")
		return nil
	}
	length := UTF16Length(value)
	switch {
	case strings.ContainsRune(value, 0): // ReadObject refuses it first; kept for any other caller
		b.Add("body."+name, "must not contain U+0000")
	case length < minLen:
		b.Add("body."+name, fmt.Sprintf("Expected string length greater or equal to %d", minLen))
	case length > maxLen:
		b.Add("body."+name, fmt.Sprintf("Expected string length less or equal to %d", maxLen))
	case pattern != nil && !pattern.MatchString(value):
		b.Add("body."+name, fmt.Sprintf("Expected string to match '%s'", pattern.String()))
	default:
		return &value
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// UTF16Length counts as JavaScript's String.length (and so TypeBox's minLength/maxLength) does.
func UTF16Length(value string) int {
	n := 0
	for _, r := range value {
		n += utf16.RuneLen(r)
	}
	return n
}

// Int is an integer field in [min, max]: a JSON number with no fraction, never a string.
func (b *Body) Int(name string, required bool, min, max int64) *int64 {
	raw, ok := b.take(name, required)
	if !ok {
		return nil
	}
	var number float64
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] == '"' || isNull(raw) || json.Unmarshal(raw, &number) != nil || number != math.Trunc(number) {
		b.Add("body."+name, "Expected integer")
		return nil
	}
	switch {
	case number < float64(min):
		b.Add("body."+name, fmt.Sprintf("Expected integer to be greater or equal to %d", min))
	case number > float64(max):
		b.Add("body."+name, fmt.Sprintf("Expected integer to be less or equal to %d", max))
	default:
		value := int64(number)
		return &value
	}
	return nil
}

// ID is a UUID field, normalised to lower case.
func (b *Body) ID(name string, required bool) *uuid.UUID {
	raw, ok := b.take(name, required)
	if !ok {
		return nil
	}
	var value string
	if json.Unmarshal(raw, &value) == nil {
		if id, ok := UUID(value); ok {
			return &id
		}
	}
	b.Add("body."+name, fmt.Sprintf("Property '%s' should be uuid", name))
	return nil
}

// Instant is an RFC 3339 date-time field (see DateTime).
func (b *Body) Instant(name string, required bool) *time.Time {
	raw, ok := b.take(name, required)
	if !ok {
		return nil
	}
	var value string
	if json.Unmarshal(raw, &value) == nil {
		if at, ok := DateTime(value); ok {
			return &at
		}
	}
	b.Add("body."+name, fmt.Sprintf("Property '%s' should be date-time", name))
	return nil
}

// Done is the 422 for everything wrong with the body: unknown fields first (as the TypeScript
// services report them), then the fields read, then a body with fewer than minFields fields.
func (b *Body) Done(minFields int) error {
	var unknown Errors
	for _, key := range b.keys {
		if !b.used[key] {
			unknown.Add("body."+key, fmt.Sprintf("Property '%s' should not be provided", key))
		}
	}
	unknown.list = append(unknown.list, b.list...)
	if len(b.fields) < minFields {
		unknown.Add("body", fmt.Sprintf("Expected object to have at least %d properties", minFields))
	}
	return unknown.Err()
}

// Query checks that only the allowed parameters are present (422 naming each other one).
func Query(values url.Values, errs *Errors, allowed ...string) {
	var unknown []string
	for key := range values {
		known := false
		for _, name := range allowed {
			known = known || key == name
		}
		if !known {
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown)
	for _, key := range unknown {
		errs.Add("query."+key, fmt.Sprintf("Property '%s' should not be provided", key))
	}
}

// IDAndObject reads what a PATCH of one resource carries: the path's id (refused first, before
// the body is read) and the JSON object body.
func IDAndObject(pathID string, r *http.Request) (uuid.UUID, *Body, error) {
	id, err := PathID(pathID)
	if err != nil {
		return id, nil, err
	}
	body, err := ReadObject(r)
	return id, body, err
}
