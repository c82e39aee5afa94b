// Package bearer makes and keeps bearer secrets (API keys, widget tokens):
// random text to hand out once, and the hash that is stored instead of it.
package bearer

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Random is n random bytes in URL-safe base64, without padding.
func Random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is how a secret is kept: SHA-256, hex. A secret of 256 random bits
// needs no slow hash; nobody can try their way back to it.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
