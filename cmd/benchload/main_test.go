package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	env := map[string]string{"BENCH_REFERRALS": "200_000", "BENCH_RATE": "150", "BENCH_DURATION": "5s"}
	o, err := parse([]string{"-page", "scorecard=/t/{slug}/partners/{partner}/scorecard"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 200_000, o.referrals)
	require.Equal(t, 100_000, o.compare)
	require.Equal(t, 150, o.rate)
	require.Equal(t, 5*time.Second, o.duration)
	require.Equal(t, []page{{name: "scorecard", path: "/t/{slug}/partners/{partner}/scorecard"}}, o.extra)

	none := func(string) string { return "" }
	_, err = parse([]string{"-db", "postgres://x@127.0.0.1/postgres"}, none, io.Discard)
	require.ErrorContains(t, err, "BENCH_APP_DATABASE_URL", "a shared server's app role is never reset")
	_, err = parse([]string{"-rate", "0"}, none, io.Discard)
	require.Error(t, err)
	_, err = parse([]string{"-page", "nopath"}, none, io.Discard)
	require.Error(t, err)
}

func TestQuantile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 50*time.Millisecond, quantile(xs, 0.5))
	require.Equal(t, 99*time.Millisecond, quantile(xs, 0.99))
	require.Equal(t, 100*time.Millisecond, quantile(xs, 1))
	require.Equal(t, time.Duration(0), quantile(nil, 0.5))
}

func TestWithDatabase(t *testing.T) {
	u, err := withDatabase("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "allyway_scale_x")
	require.NoError(t, err)
	require.Equal(t, "postgres://postgres@127.0.0.1:5432/allyway_scale_x?sslmode=disable", u)
	_, err = withDatabase("host=x dbname=y", "z")
	require.Error(t, err)
	require.Equal(t, "1,000,000", thousands(1_000_000))
	require.Equal(t, "100k", short(100_000))
	require.Equal(t, "1M", short(1_000_000))
}
