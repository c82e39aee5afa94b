package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Signer signs and checks one-click unsubscribe links, so the public
// route switches off only what a link sent to the partner names.
type Signer struct{ key []byte }

// NewSigner derives the link key from an application secret; the label
// keeps it apart from anything else the secret keys.
func NewSigner(secret string) Signer {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("partnerloop unsubscribe links v1"))
	return Signer{key: mac.Sum(nil)}
}

func (s Signer) mac(partnerID string, c Category) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(partnerID + "|" + string(c)))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// Token is the signed token of a partner's category: <partner>.<category>.<mac>.
func (s Signer) Token(partnerID string, c Category) string {
	return partnerID + "." + string(c) + "." + s.mac(partnerID, c)
}

// Verify returns the partner and category a token names, or ErrInvalidToken.
func (s Signer) Verify(token string) (string, Category, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 200 {
		return "", "", ErrInvalidToken
	}
	id, c := parts[0], Category(parts[1])
	if c == Transactional || !slices.Contains(Categories(), c) || !hmac.Equal([]byte(parts[2]), []byte(s.mac(id, c))) {
		return "", "", ErrInvalidToken
	}
	return id, c, nil
}
