// Package auth checks who is calling: auth's EdDSA access tokens on the admin routes (verified
// against its JWKS, cached, refetched when a token names an unknown key), revoked sessions
// (decisions §2), and the gateway's internal token on every /v1 route (decisions §1).
package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"flash-deal/services/product/go/internal/problem"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

type Role string

const (
	Customer Role = "customer"
	Admin    Role = "admin"
)

// Claims are the access token's claims the services rely on.
type Claims struct {
	Subject   string
	Role      Role
	SessionID string
	TokenID   string
	ExpiresAt time.Time
}

type accessClaims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
	Sid  string `json:"sid"`
}

// Verifier verifies access tokens; verified tokens are remembered until they expire, so a hot
// path does not redo the signature check for a token it has seen.
type Verifier struct {
	keys     jwt.Keyfunc
	parser   *jwt.Parser
	mu       sync.Mutex
	verified map[string]Claims
	maxCache int
}

var allowedAlgorithms = []string{"EdDSA", "ES256"}

// RemoteJWKS is the issuer's key set over HTTP: refreshed every ten minutes, and at once (at
// most once a second, so forged kids cannot flood the issuer) for a token with an unknown kid.
func RemoteJWKS(ctx context.Context, url string) (jwt.Keyfunc, error) {
	noError := true
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
		HTTPTimeout:               2 * time.Second,
		RefreshInterval:           10 * time.Minute,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(time.Second), 1),
		NoErrorReturnFirstHTTPReq: &noError, // auth may start after us; the first token retries
	})
	if err != nil {
		return nil, err
	}
	return keys.Keyfunc, nil
}

func NewVerifier(keys jwt.Keyfunc, issuer, audience string) *Verifier {
	return &Verifier{
		keys: keys,
		parser: jwt.NewParser(jwt.WithValidMethods(allowedAlgorithms), jwt.WithIssuer(issuer),
			jwt.WithAudience(audience), jwt.WithLeeway(30*time.Second), jwt.WithExpirationRequired(),
			jwt.WithIssuedAt()),
		verified: map[string]Claims{},
		maxCache: 10_000,
	}
}

var bearer = regexp.MustCompile(`^Bearer ([A-Za-z0-9_\-.]+)$`)

// VerifyAuthorization checks an `Authorization: Bearer <token>` header value.
func (v *Verifier) VerifyAuthorization(header string) (Claims, error) {
	match := bearer.FindStringSubmatch(strings.TrimSpace(header))
	if match == nil {
		return Claims{}, problem.Unauthorized("A bearer token is required")
	}
	return v.Verify(match[1])
}

func (v *Verifier) Verify(token string) (Claims, error) {
	v.mu.Lock()
	cached, ok := v.verified[token]
	v.mu.Unlock()
	if ok && time.Now().Before(cached.ExpiresAt) {
		return cached, nil
	}
	parsed := &accessClaims{}
	if _, err := v.parser.ParseWithClaims(token, parsed, v.keys); err != nil {
		return Claims{}, authError(err)
	}
	if parsed.Subject == "" || parsed.ID == "" || parsed.IssuedAt == nil || parsed.Sid == "" ||
		(parsed.Role != string(Customer) && parsed.Role != string(Admin)) {
		return Claims{}, problem.Unauthorized("The token does not carry the expected claims")
	}
	claims := Claims{Subject: parsed.Subject, Role: Role(parsed.Role), SessionID: parsed.Sid, TokenID: parsed.ID,
		ExpiresAt: parsed.ExpiresAt.Time}
	v.mu.Lock()
	if len(v.verified) >= v.maxCache {
		for key := range v.verified {
			delete(v.verified, key)
			break
		}
	}
	v.verified[token] = claims
	v.mu.Unlock()
	return claims, nil
}

func authError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return problem.Unauthorized("The token has expired")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return problem.Unauthorized("The token's iss claim is not accepted")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return problem.Unauthorized("The token's aud claim is not accepted")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return problem.Unauthorized("The token's nbf claim is not accepted")
	case errors.Is(err, keyfunc.ErrKeyfunc) && problem.DependencyUnavailable(err):
		// Not being able to fetch the keys is our outage, not the caller's fault.
		return problem.Unavailable("Token keys are unavailable; try again shortly", 1)
	}
	return problem.Unauthorized("The token is not valid")
}
