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

func TestChecks(t *testing.T) {
	run := func(score, prog pageResult) runResult {
		score.Name, prog.Name = "scorecard", "program"
		return runResult{Pages: []pageResult{{Name: "ceiling", Ratio: 1, Max: phase{Throughput: 100, RSSMB: 40}}, score, prog}}
	}
	small := run(pageResult{Ratio: 2, Max: phase{Throughput: 200, RSSMB: 60}, Rate: phase{Requests: 10, OK: 10, P50: 4, P99: 20, RSSMB: 70}},
		pageResult{Ratio: 1.2, Max: phase{Throughput: 120}, RateSkipped: "not run: max 120 < 300 req/s"})
	cs := runChecks(300, small)
	require.Len(t, cs, 5)
	require.Equal(t, "throughput", cs[0].What)
	require.True(t, cs[0].Met, "2× ceiling")
	require.True(t, cs[1].Met, "p99 20 ms")
	require.False(t, cs[2].Met, "1.2× ceiling")
	require.False(t, cs[3].Met, "the constant rate was not reached")
	require.Equal(t, "app RSS under load", cs[4].What)
	require.True(t, cs[4].Met)
	require.Equal(t, 70.0, cs[4].Figure)

	large := run(pageResult{Ratio: 2, Rate: phase{Requests: 10, OK: 10, P50: 4.6, P99: 30}},
		pageResult{Status: "HTTP 404"})
	cc := compareChecks(300, []runResult{small, large})
	require.Len(t, cc, 1, "a page not measured at both sizes is not compared")
	require.Equal(t, "scorecard", cc[0].Page)
	require.InDelta(t, 15, cc[0].Figure, 0.001)
	require.True(t, cc[0].Met)
	require.False(t, runChecks(300, large)[2].Met, "a page not built misses its targets")
}
