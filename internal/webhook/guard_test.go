package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCheckURLRefusesPrivateAddresses: with the setting off, URLs whose
// host is or resolves to a private, loopback, link-local or unspecified
// address are refused, as are other schemes and credentials; with it on,
// local receivers are allowed.
func TestCheckURLRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	strict := Guard{}
	for _, u := range []string{
		"http://127.0.0.1:8080/hook",
		"https://10.1.2.3/hook",
		"https://192.168.1.20/hook",
		"https://172.16.0.1/hook",
		"http://169.254.169.254/latest/meta-data",
		"http://[::1]/hook",
		"http://[fe80::1]/hook",
		"http://[fd00::1]/hook",
		"http://0.0.0.0/hook",
		"http://[::ffff:127.0.0.1]/hook",
		"http://100.64.0.1/hook",
		"http://localhost:9999/hook", // a name resolving to loopback
	} {
		require.Equal(t, msgURLPrivate, strict.CheckURL(ctx, u), u)
	}
	require.Equal(t, msgURLScheme, strict.CheckURL(ctx, "ftp://example.com/hook"))
	require.Equal(t, msgURLScheme, strict.CheckURL(ctx, "javascript:alert(1)"))
	require.Equal(t, msgURLScheme, strict.CheckURL(ctx, "example.com/hook"))
	require.Equal(t, msgURLHost, strict.CheckURL(ctx, "https:///hook"))
	require.Equal(t, msgURLUser, strict.CheckURL(ctx, "https://user:pass@93.184.215.14/hook"))
	require.Empty(t, strict.CheckURL(ctx, "https://93.184.215.14/hook"), "a public address literal")
	require.Empty(t, strict.CheckURL(ctx, "https://[2606:4700::1111]/hook"))

	open := Guard{AllowPrivate: true}
	require.Empty(t, open.CheckURL(ctx, "http://127.0.0.1:8080/hook"))
	require.Empty(t, open.CheckURL(ctx, "http://localhost:9999/hook"))
	require.Equal(t, msgURLScheme, open.CheckURL(ctx, "file:///etc/passwd"))

	for _, a := range []string{"8.8.8.8", "2606:4700::1111", "93.184.215.14"} {
		require.True(t, PublicAddr(netip.MustParseAddr(a)), a)
	}
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fe80::1", "::", "224.0.0.1", "ff02::1", "::ffff:10.0.0.1", "198.18.0.1"} {
		require.False(t, PublicAddr(netip.MustParseAddr(a)), a)
	}
}

// TestClientRefusesPrivateAddressAtConnect: the delivery client checks the
// address it actually connects to (what DNS answers now), so a URL saved
// while public cannot be turned to a private address later.
func TestClientRefusesPrivateAddressAtConnect(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	t.Cleanup(srv.Close)

	_, err := Guard{}.Client(2*time.Second).Post(srv.URL, "application/json", nil)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrForbiddenAddress), "%v", err)
	require.Zero(t, hits)
	require.Contains(t, describe(err).Error(), "private, loopback or link-local")

	resp, err := Guard{AllowPrivate: true}.Client(2*time.Second).Post(srv.URL, "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 1, hits)
}
