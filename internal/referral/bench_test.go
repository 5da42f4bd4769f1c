package referral_test

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/referral"
)

// BenchmarkSubmit submits inbound portal referrals in parallel, each in its
// own transaction with its acknowledgment and staff notice queued (outbox
// rows and River jobs), across 20 partners, and reports submissions/s and
// the p99 latency.
func BenchmarkSubmit(b *testing.B) {
	f := newFixture(b)
	partners := make([]uuid.UUID, 20)
	users := make([]uuid.UUID, 20)
	for i := range partners {
		partners[i] = f.partner(fmt.Sprintf("Partner %d", i), "active")
		users[i] = f.portalUser(partners[i], fmt.Sprintf("p%d@partner.example", i), "Pat")
	}
	answers := f.allYes()
	var seq atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 64)
		for pb.Next() {
			i := seq.Add(1)
			k := int(i) % len(partners)
			in := referral.SubmitInput{PartnerID: partners[k], ClientCompany: fmt.Sprintf("Client %d", i),
				ClientDomain: fmt.Sprintf("client%d.example", i), ContactName: "Jane Doe",
				ContactEmail: fmt.Sprintf("jane@client%d.example", i), Challenge: "They need help.", EstimatedValue: "25,000",
				Answers: answers, Source: "portal", SubmittedBy: users[k], IdempotencyKey: uuid.NewString()}
			t0 := time.Now()
			if _, _, err := f.submit(in); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "submissions/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
