package payout

import (
	"crypto/rand"
	"encoding/hex"
)

func shortID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
