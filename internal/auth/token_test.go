package auth

import (
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		tok := NewToken()
		require.Len(t, tok, 43)
		require.Regexp(t, `^[A-Za-z0-9_-]{43}$`, tok)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		require.NoError(t, err)
		require.Len(t, raw, TokenBytes)
		require.False(t, seen[tok], "duplicate token")
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, hex.EncodeToString(HashToken(tt.in)))
	}
	tok := NewToken()
	require.True(t, ConstantTimeEqual(HashToken(tok), HashToken(tok)))
	require.False(t, ConstantTimeEqual(HashToken(tok), HashToken(tok+"x")))
}

func TestConstantTimeEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b []byte
		want bool
	}{
		{nil, nil, true},
		{[]byte{}, nil, true},
		{[]byte("abc"), []byte("abc"), true},
		{[]byte("abc"), []byte("abd"), false},
		{[]byte("abc"), []byte("abcd"), false},
		{[]byte("abc"), nil, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, ConstantTimeEqual(tt.a, tt.b), "%q vs %q", tt.a, tt.b)
	}
}
