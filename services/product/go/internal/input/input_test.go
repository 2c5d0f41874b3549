package input_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"flash-deal/services/product/go/internal/input"
	"flash-deal/services/product/go/internal/problem"
)

// The shared input rules, case by case, with the status, problem type and field the TypeScript
// kit gives the same body (packages/kit/src/body.ts, formats.ts).
func TestReadObject(t *testing.T) {
	deep := `{"name":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`
	shallow := `{"name":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		slug, field             string
	}{
		{"an empty body is not an object", "", "", 422, "validation", "body"},
		{"a form body is 415", "application/x-www-form-urlencoded", "name=x", 415, "unsupported-media-type", ""},
		{"JSON as text/plain is 415", "text/plain", `{"name":"x"}`, 415, "unsupported-media-type", ""},
		{"no content type with a body is 415", "", `{"name":"x"}`, 415, "unsupported-media-type", ""},
		{"bytes that are not UTF-8 are 400", "application/json", "{\"name\":\"\xff\"}", 400, "bad-request", ""},
		{"text that is not JSON is 400", "application/json", `{"name":"a",`, 400, "bad-request", ""},
		{"an array is not an object", "application/json", `[1]`, 422, "validation", "body"},
		{"nesting past 32 levels is 422 before anything else", "application/json", deep, 422, "validation", "body"},
		{"U+0000 in a value names its field", "application/json", `{"name":"a\u0000"}`, 422, "validation", "body.name"},
		{"U+0000 in an array names the item", "application/json", `{"tags":["ok","b\u0000"]}`, 422, "validation", "body.tags.1"},
		{"U+0000 in a key names the object", "application/json", `{"\u0000k":1}`, 422, "validation", "body"},
		{"a lone high surrogate is 422", "application/json", `{"name":"a\ud800b"}`, 422, "validation", "body"},
		{"a lone low surrogate is 422", "application/json", `{"name":"\udc00"}`, 422, "validation", "body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			request := httptest.NewRequest("POST", "/v1/products", strings.NewReader(c.body))
			if c.contentType != "" {
				request.Header.Set("Content-Type", c.contentType)
			}
			_, err := input.ReadObject(request)
			var p *problem.Error
			if !errors.As(err, &p) || p.Status != c.status || p.Slug != c.slug {
				t.Fatalf("got %#v, want %d %s", err, c.status, c.slug)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Fatalf("fields %v, want %s", p.Errors, c.field)
			}
			if c.status == 415 && (len(p.Accepted) != 1 || p.Accepted[0] != "application/json") {
				t.Fatalf("a 415 names what it accepts: %v", p.Accepted)
			}
		})
	}
	for _, ok := range []struct{ contentType, body string }{
		{"application/json", `{"name":"x"}`},
		{"Application/JSON; charset=utf-8", `{"name":"x"}`},
		{"application/merge-patch+json", `{"name":"x"}`},
		{"application/json", shallow},
		{"application/json", `{"name":"a\\u0000 is text, not a NUL"}`},
	} {
		request := httptest.NewRequest("POST", "/v1/products", strings.NewReader(ok.body))
		request.Header.Set("Content-Type", ok.contentType)
		if _, err := input.ReadObject(request); err != nil {
			t.Errorf("%s %s: %v", ok.contentType, ok.body, err)
		}
	}
}

func TestDateTime(t *testing.T) {
	for _, good := range []string{"2030-03-01T10:00:00Z", "2030-03-01t10:00:00z", "2030-03-01T10:00:00.123456789+23:59",
		"1970-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "2028-02-29T00:00:00Z"} {
		if _, ok := input.DateTime(good); !ok {
			t.Errorf("%s refused", good)
		}
	}
	for _, bad := range []string{"2030-03-01", "2030-03-01T10:00:00", "1969-12-31T23:59:59Z", "0014-08-01T07:01:00+02:00",
		"+275760-09-13T00:00:00.000Z", "2030-02-30T10:00:00Z", "2030-02-29T10:00:00Z", "2030-03-01T24:00:00Z",
		"2030-03-01T10:00:00+24:00", "2030-03-01T10:00:00+01:60", "2030-03-01T10:00:00.1234567891Z", "2030-03-01 10:00:00Z"} {
		if _, ok := input.DateTime(bad); ok {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestIntegersAndText(t *testing.T) {
	read := func(body string) *input.Body {
		request := httptest.NewRequest("POST", "/", strings.NewReader(body))
		request.Header.Set("Content-Type", "application/json")
		b, err := input.ReadObject(request)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for body, want := range map[string]int64{`{"n":1.0}`: 1, `{"n":1e2}`: 100, `{"n":0}`: 0} {
		if got := read(body).Int("n", true, 0, 1000); got == nil || *got != want {
			t.Errorf("%s: %v", body, got)
		}
	}
	for _, body := range []string{`{"n":"1"}`, `{"n":1.5}`, `{"n":true}`, `{"n":null}`, `{"n":1001}`, `{"n":-1}`} {
		b := read(body)
		if b.Int("n", true, 0, 1000) != nil || b.Done(0) == nil {
			t.Errorf("%s accepted", body)
		}
	}
	// Lengths count as JavaScript does (UTF-16 units): an emoji is two.
	if got := read(`{"s":"`+strings.Repeat("\U0001F600", 100)+`"}`).Text("s", true, 1, 200, nil); got == nil {
		t.Error("100 emoji are 200 units: accepted by TypeScript")
	}
	if got := read(`{"s":"`+strings.Repeat("\U0001F600", 101)+`"}`).Text("s", true, 1, 200, nil); got != nil {
		t.Error("101 emoji are 202 units: refused by TypeScript")
	}
	if id, ok := input.UUID("0193A2B4-1C2D-4E5F-8A9B-0C1D2E3F4A5B"); !ok || id.String() != "0193a2b4-1c2d-4e5f-8a9b-0c1d2e3f4a5b" {
		t.Errorf("upper-case UUID: %v %v", id, ok)
	}
}

func TestSurrogatePairIsRead(t *testing.T) {
	request := httptest.NewRequest("POST", "/v1/products", strings.NewReader(`{"name":"\ud83d\ude00 \\ud800"}`))
	request.Header.Set("Content-Type", "application/json")
	if _, err := input.ReadObject(request); err != nil {
		t.Fatalf("a surrogate pair and an escaped backslash were refused: %v", err)
	}
}
