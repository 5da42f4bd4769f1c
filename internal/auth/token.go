package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// TokenBytes is the number of random bytes in a NewToken (256 bits).
const TokenBytes = 32

// NewToken returns a fresh random secret of TokenBytes bytes encoded as
// unpadded base64url (43 characters), suitable for invitation and
// password-reset links, device cookies and API tokens. Give it to the user;
// store only HashToken(token).
func NewToken() string {
	b := make([]byte, TokenBytes)
	_, _ = rand.Read(b) // never returns an error; crashes the program on RNG failure
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns SHA-256(token), the form to store and look tokens up by.
// A plain hash is sufficient because NewToken has 256 bits of entropy (ASVS
// 5.0 allows a standard hash for secrets of at least 112 bits); do not use it
// for low-entropy secrets such as passwords.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ConstantTimeEqual reports whether a and b are equal, in time that depends
// only on their lengths.
func ConstantTimeEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
