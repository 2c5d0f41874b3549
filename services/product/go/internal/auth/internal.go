package auth

import (
	"net/http"
	"strings"
	"time"

	"flash-deal/services/product/go/internal/problem"

	"github.com/golang-jwt/jwt/v5"
)

// InternalTokenHeader carries the gateway's token on every request it proxies (decisions §1).
const InternalTokenHeader = "X-Internal-Token"

// InternalAuth refuses every /v1 request without a valid internal token for this service's
// audience: HS256, keyed by INTERNAL_AUTH_SECRET, iss flash-deal-gateway, aud product. Health,
// Swagger UI and the document stay open. fail renders the refusal.
func InternalAuth(secret []byte, audience string, fail func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("flash-deal-gateway"),
		jwt.WithAudience(audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second))
	keyOf := func(*jwt.Token) (any, error) { return secret, nil }
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/v1/") && r.URL.Path != "/v1" {
				next.ServeHTTP(w, r)
				return
			}
			token := r.Header.Get(InternalTokenHeader)
			if token == "" {
				fail(w, r, internalAuthRequired("This service accepts /v1 requests only from the gateway"))
				return
			}
			if _, err := parser.Parse(token, keyOf); err != nil {
				fail(w, r, internalAuthRequired("The internal token is not valid"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func internalAuthRequired(detail string) error {
	return &problem.Error{Status: 401, Slug: "internal-auth-required", Title: "Internal authentication required", Detail: detail}
}
