package survey_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/survey"
)

// TestSendDuePicksTheRightEngagementsOnce: the daily job asks the client
// of each won inbound referral whose first engagement started 7 to 90 days
// ago (the firm's calendar) and who has an email — once; a later run sends
// nothing again, and an engagement that comes of age is asked the day it
// does.
func TestSendDuePicksTheRightEngagementsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// 20 May 2026, 02:00 UTC is still 19 May in New York.
	now := time.Date(2026, 5, 20, 2, 0, 0, 0, time.UTC)
	today := day("2026-05-19")
	fm := f.firm("Northwind Advisory", "America/New_York")
	p := f.partner(fm.ID, "Brightline Advisory")

	ago := func(n int) time.Time { return today.AddDate(0, 0, -n) }
	asked := map[string]uuid.UUID{}
	add := func(company string, r ref, started time.Time) uuid.UUID {
		id := f.engagement(fm.ID, f.referral(fm.ID, p, company, r), company+" project", started)
		asked[company] = id
		return id
	}
	add("Acme Dental", ref{email: "pat@acme.example", name: "Pat Jones"}, ago(10))
	add("Seven Days", ref{email: "sam@seven.example"}, ago(7))
	add("Ninety Days", ref{email: "nia@ninety.example"}, ago(90))
	// Not asked (yet): too recent, too old, no email, erased, outbound, not won.
	add("Six Days", ref{email: "six@six.example"}, ago(6))
	add("Old Co", ref{email: "old@old.example"}, ago(91))
	add("No Email", ref{}, ago(20))
	add("Erased", ref{email: "gone@erased.example", erased: true}, ago(20))
	add("Outbound Co", ref{email: "out@out.example", direction: "outbound"}, ago(20))
	add("Open Co", ref{email: "open@open.example", status: "meeting"}, ago(20))
	// Two engagements of one referral: the client is asked once, about the first.
	twice := f.referral(fm.ID, p, "Twice Co", ref{email: "tw@twice.example", name: "Tess"})
	first := f.engagement(fm.ID, twice, "Twice audit", ago(30))
	f.engagement(fm.ID, twice, "Twice retainer", ago(12))

	// Another firm's engagement is asked in its own firm.
	other := f.firm("Other Firm", "UTC")
	op := f.partner(other.ID, "Other Partner")
	f.engagement(other.ID, f.referral(other.ID, op, "Other Client", ref{email: "c@other.example"}), "Other project", day("2026-05-01"))

	run := f.send(now)
	require.Equal(t, survey.SendRun{Firms: 2, Sent: 5}, run)

	var got []string
	rows, err := f.owner.Query(ctx, `SELECT r.client_company, s.engagement_id, s.email, s.token_hash, s.sent_at, s.score IS NULL
		FROM client_surveys s JOIN referrals r ON r.id = s.referral_id WHERE s.tenant_id = $1 ORDER BY r.client_company`, fm.ID)
	require.NoError(t, err)
	hashes := map[string][]byte{}
	for rows.Next() {
		var company, email string
		var eng uuid.UUID
		var hash []byte
		var sent time.Time
		var open bool
		require.NoError(t, rows.Scan(&company, &eng, &email, &hash, &sent, &open))
		got = append(got, company)
		hashes[email] = hash
		require.Len(t, hash, 32)
		require.True(t, sent.Equal(now))
		require.True(t, open)
		if company == "Twice Co" {
			require.Equal(t, first, eng, "the referral's first engagement")
		} else {
			require.Equal(t, asked[company], eng)
		}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"Acme Dental", "Ninety Days", "Seven Days", "Twice Co"}, got)

	// The email: subject, greeting, link whose token's hash is stored (the token itself is not).
	var acme string
	for _, m := range f.emails() {
		if strings.Contains(m.To, "pat@acme.example") {
			require.Equal(t, `"Pat Jones" <pat@acme.example>`, m.To)
			require.Equal(t, "Northwind Advisory would like your feedback", m.Subject)
			require.Contains(t, m.Text, "Hello Pat,")
			require.Contains(t, m.Text, "Acme Dental project with us on 9 May 2026")
			require.Contains(t, m.Text, "works until 18 July 2026")
			require.Contains(t, m.HTML, `href="`+baseURL+"/s/"+fm.Slug+"/")
			acme = tokenIn(t, m.Text, fm.Slug)
		}
	}
	require.Len(t, acme, 43)
	sum := sha256.Sum256([]byte(acme))
	require.Equal(t, sum[:], hashes["pat@acme.example"])
	var stored int
	require.NoError(t, f.owner.QueryRow(ctx, `SELECT count(*) FROM client_surveys WHERE token_hash = $1`, []byte(acme)).Scan(&stored))
	require.Zero(t, stored)

	// Each send is audited.
	var audited int
	require.NoError(t, f.owner.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'client_survey.sent'`,
		fm.ID).Scan(&audited))
	require.Equal(t, 4, audited)

	// Idempotent: the same day again sends nothing.
	require.Equal(t, survey.SendRun{Firms: 2}, f.send(now.Add(time.Hour)))
	require.Len(t, f.emails(), 5)

	// A day later "Six Days" has come of age (and "Ninety Days" is older, but asked already).
	require.Equal(t, survey.SendRun{Firms: 2, Sent: 1}, f.send(now.Add(24*time.Hour)))
	require.Len(t, f.emails(), 6)
	require.Equal(t, "six@six.example", f.emails()[0].To)
}

// openSurvey arranges a sent survey of a fresh engagement and returns its token.
func openSurvey(t *testing.T, f *fixture, fm survey.Firm, partnerID uuid.UUID, company string, now time.Time) string {
	t.Helper()
	f.engagement(fm.ID, f.referral(fm.ID, partnerID, company, ref{email: strings.ToLower(strings.ReplaceAll(company, " ", "")) + "@client.example"}),
		company+" project", now.AddDate(0, 0, -10))
	before := len(f.emails())
	f.send(now)
	msgs := f.emails()
	require.Len(t, msgs, before+1)
	return tokenIn(t, msgs[0].Text, fm.Slug)
}

// TestAnswerLink: the link answers once; a bad score is a field error
// that changes nothing; past 60 days it has expired; a wrong token, or a
// token used under another firm, is not found.
func TestAnswerLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	fm := f.firm("Northwind Advisory", "UTC")
	other := f.firm("Other Firm", "UTC")
	p := f.partner(fm.ID, "Brightline")
	token := openSurvey(t, f, fm, p, "Acme Dental", now)

	open := func(tenantID uuid.UUID, tok string) (survey.Link, error) {
		var l survey.Link
		err := f.inTenant(tenantID, func(tx pgx.Tx) (err error) {
			l, err = survey.OpenLink(ctx, tx, tenantID, tok)
			return err
		})
		return l, err
	}
	answer := func(tenantID uuid.UUID, tok string, in survey.Answer, at time.Time) (survey.Link, error) {
		var l survey.Link
		err := f.inTenant(tenantID, func(tx pgx.Tx) (err error) {
			l, err = survey.AnswerLink(ctx, tx, tenantID, tok, in, at)
			return err
		})
		return l, err
	}

	l, err := open(fm.ID, token)
	require.NoError(t, err)
	require.Equal(t, "Acme Dental project", l.EngagementName)
	require.Equal(t, "Acme Dental", l.ClientCompany)
	require.False(t, l.Answered())
	require.False(t, l.Expired(now))

	// Wrong tokens and another firm's slug: not found.
	flipped := token[:42] + "A"
	if flipped == token {
		flipped = token[:42] + "B"
	}
	for _, tok := range []string{"", "x", flipped, strings.Repeat("a", 500), token + "x"} {
		_, err := open(fm.ID, tok)
		require.ErrorIs(t, err, survey.ErrLinkNotFound, tok)
	}
	_, err = open(other.ID, token)
	require.ErrorIs(t, err, survey.ErrLinkNotFound)
	_, err = answer(other.ID, token, survey.Answer{Score: "5"}, now)
	require.ErrorIs(t, err, survey.ErrLinkNotFound)

	// Bad input: field errors, nothing kept.
	for _, s := range []string{"", "0", "6", "3.5", "five", "-1"} {
		_, err := answer(fm.ID, token, survey.Answer{Score: s, Comment: "ok"}, now)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), s)
		require.Contains(t, apperr.FieldErrors(err)["score"], "from 1")
	}
	_, err = answer(fm.ID, token, survey.Answer{Score: "4", Comment: strings.Repeat("é", 5001)}, now)
	require.Contains(t, apperr.FieldErrors(err), "comment")
	require.NotContains(t, apperr.FieldErrors(err), "score")

	// The answer, once.
	l, err = answer(fm.ID, token, survey.Answer{Score: " 4 ", Comment: "  Great start.\r\nThanks!  "}, now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 4, l.Score)
	var score int
	var comment, source string
	require.NoError(t, f.owner.QueryRow(ctx, `SELECT score, comment, source FROM client_surveys WHERE tenant_id = $1`, fm.ID).
		Scan(&score, &comment, &source))
	require.Equal(t, 4, score)
	require.Equal(t, "Great start.\nThanks!", comment)
	require.Equal(t, "link", source)
	_, err = answer(fm.ID, token, survey.Answer{Score: "1"}, now.Add(2*time.Hour))
	require.ErrorIs(t, err, survey.ErrAnswered)
	l, err = open(fm.ID, token)
	require.NoError(t, err)
	require.True(t, l.Answered())
	require.False(t, l.Expired(now.AddDate(1, 0, 0)), "an answered link never expires")

	// Another link expires 60 days after it was sent.
	token2 := openSurvey(t, f, fm, p, "Beta Labs", now)
	l, err = open(fm.ID, token2)
	require.NoError(t, err)
	require.True(t, l.ExpiresAt().Equal(now.AddDate(0, 0, 60)))
	require.False(t, l.Expired(now.AddDate(0, 0, 60).Add(-time.Second)))
	_, err = answer(fm.ID, token2, survey.Answer{Score: "0"}, now.AddDate(0, 0, 60))
	require.ErrorIs(t, err, survey.ErrExpired, "expiry is checked before the input")
	_, err = answer(fm.ID, token2, survey.Answer{Score: "5"}, now.AddDate(0, 0, 61))
	require.ErrorIs(t, err, survey.ErrExpired)
}

// TestRecordByStaff: staff record a score on the partner's engagement (in
// place of an unanswered link), never over an answer, never on another
// partner's engagement; bad input is a field error.
func TestRecordByStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	fm := f.firm("Northwind Advisory", "UTC")
	p := f.partner(fm.ID, "Brightline")
	q := f.partner(fm.ID, "Quill")
	staff := f.id(`INSERT INTO users (email, name) VALUES ('fin@northwind.test', 'Fay Finance') RETURNING id`)
	token := openSurvey(t, f, fm, p, "Acme Dental", now)
	var acme uuid.UUID
	require.NoError(t, f.owner.QueryRow(ctx, `SELECT engagement_id FROM client_surveys WHERE tenant_id = $1`, fm.ID).Scan(&acme))
	quiet := f.engagement(fm.ID, f.referral(fm.ID, p, "Quiet Co", ref{}), "Quiet project", now.AddDate(0, 0, -3))
	ofQ := f.engagement(fm.ID, f.referral(fm.ID, q, "Q Client", ref{}), "Q project", now.AddDate(0, 0, -3))
	outbound := f.engagement(fm.ID, f.referral(fm.ID, p, "Out Co", ref{direction: "outbound"}), "Out project", now.AddDate(0, 0, -3))

	record := func(partnerID uuid.UUID, in survey.RecordInput) error {
		return f.inTenant(fm.ID, func(tx pgx.Tx) error {
			_, err := survey.Record(ctx, tx, fm.ID, partnerID, in, staff, now)
			return err
		})
	}
	in := func(eng uuid.UUID, score, comment string) survey.RecordInput {
		return survey.RecordInput{EngagementID: eng.String(), Answer: survey.Answer{Score: score, Comment: comment}}
	}

	err := record(p, survey.RecordInput{EngagementID: "nope", Answer: survey.Answer{Score: "9"}})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Len(t, apperr.FieldErrors(err), 2)
	for _, id := range []uuid.UUID{ofQ, outbound, uuid.New()} {
		err = record(p, in(id, "4", ""))
		require.Equal(t, "Choose one of this partner's engagements.", apperr.FieldErrors(err)["engagement_id"])
	}

	// On the emailed survey: the link then says it has its answer.
	require.NoError(t, record(p, in(acme, "3", "Said so on the phone.")))
	err = f.inTenant(fm.ID, func(tx pgx.Tx) error {
		_, err := survey.AnswerLink(ctx, tx, fm.ID, token, survey.Answer{Score: "5"}, now)
		return err
	})
	require.ErrorIs(t, err, survey.ErrAnswered)
	require.Equal(t, apperr.EConflict, apperr.Code(record(p, in(acme, "5", ""))))

	// On an engagement never emailed.
	require.NoError(t, record(p, in(quiet, "5", "")))

	var rows []string
	r, err := f.owner.Query(ctx, `SELECT e.name || ' ' || s.score || ' ' || s.source || ' ' || (s.recorded_by = $2)
		FROM client_surveys s JOIN engagements e ON e.id = s.engagement_id WHERE s.tenant_id = $1 ORDER BY e.name`, fm.ID, staff)
	require.NoError(t, err)
	rows, err = pgx.CollectRows(r, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"Acme Dental project 3 staff true", "Quiet project 5 staff true"}, rows)

	// The staff page's view of the partner's engagements.
	var es []survey.EngagementSurvey
	require.NoError(t, f.inTenant(fm.ID, func(tx pgx.Tx) (err error) {
		es, err = survey.PartnerEngagements(ctx, tx, fm.ID, p, 50)
		return err
	}))
	states := map[string]string{}
	for _, e := range es {
		states[e.Name] = e.State(period.Today(now, time.UTC), now)
	}
	require.Equal(t, map[string]string{"Acme Dental project": survey.StateAnswered, "Quiet project": survey.StateAnswered}, states)
}

// TestClientCSAT: answers count in the quarter of their day in the firm's
// time zone; the sum and count give the average.
func TestClientCSAT(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fm := f.firm("Northwind Advisory", "America/New_York")
	p := f.partner(fm.ID, "Brightline")
	other := f.partner(fm.ID, "Other")
	answered := func(partnerID uuid.UUID, score int, at time.Time) {
		eng := f.engagement(fm.ID, f.referral(fm.ID, partnerID, "Client "+at.String(), ref{}), "Project", day("2025-01-01"))
		f.exec(`INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, score, answered_at, source)
			SELECT tenant_id, id, referral_id, partner_id, $2, $3, 'staff' FROM engagements WHERE id = $1`, eng, score, at)
	}
	// 1 April 2026 03:00 UTC is still 31 March in New York: Q1.
	answered(p, 5, time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC))
	answered(p, 4, time.Date(2026, 1, 1, 5, 30, 0, 0, time.UTC)) // 00:30 on 1 January in New York: Q1
	answered(p, 2, time.Date(2026, 1, 1, 4, 30, 0, 0, time.UTC)) // 23:30 on 31 December: Q4 2025
	answered(p, 3, time.Date(2026, 4, 1, 5, 0, 0, 0, time.UTC))  // Q2
	answered(p, 4, time.Date(2026, 5, 15, 12, 0, 0, 0, time.UTC))
	answered(other, 1, time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC))
	// An unanswered survey counts nowhere.
	eng := f.engagement(fm.ID, f.referral(fm.ID, p, "Pending", ref{}), "Pending", day("2026-02-01"))
	f.exec(`INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, email, token_hash, sent_at)
		SELECT tenant_id, id, referral_id, partner_id, 'x@y.example', '\x01', '2026-02-10' FROM engagements WHERE id = $1`, eng)

	q1 := period.Quarter{Year: 2026, Q: 1}
	var sum, n int64
	require.NoError(t, f.inTenant(fm.ID, func(tx pgx.Tx) (err error) {
		sum, n, err = survey.ClientCSAT(ctx, tx, fm.ID, p, q1.Start(), q1.End())
		return err
	}))
	require.Equal(t, []int64{9, 2}, []int64{sum, n})

	var qs []survey.QuarterCSAT
	require.NoError(t, f.inTenant(fm.ID, func(tx pgx.Tx) (err error) {
		qs, err = survey.ClientCSATByQuarter(ctx, tx, fm.ID, p, period.Quarter{Year: 2026, Q: 2}.Last(8))
		return err
	}))
	require.Len(t, qs, 8)
	got := map[string][2]int64{}
	for _, c := range qs {
		if c.Count > 0 {
			got[c.Quarter.String()] = [2]int64{c.Sum, c.Count}
		}
	}
	require.Equal(t, map[string][2]int64{"2025-Q4": {2, 1}, "2026-Q1": {9, 2}, "2026-Q2": {7, 2}}, got)
	require.Equal(t, 45, qs[6].AvgX10())
	require.Equal(t, "4.5", survey.FormatAvg(qs[6].AvgX10()))

	// The portal may not read client surveys at all.
	err := f.db.InPortal(ctx, fm.ID, p, func(tx pgx.Tx) (err error) {
		sum, n, err = survey.ClientCSAT(ctx, tx, fm.ID, p, q1.Start(), q1.End())
		return err
	})
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestEngagementState(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	today := day("2026-05-20")
	sent := now.AddDate(0, 0, -59)
	old := now.AddDate(0, 0, -60)
	at := now
	for _, c := range []struct {
		e    survey.EngagementSurvey
		want string
		why  string
	}{
		{survey.EngagementSurvey{StartedOn: day("2026-05-18"), HasEmail: true}, survey.StateScheduled, ""},
		{survey.EngagementSurvey{StartedOn: day("2026-02-19"), HasEmail: true}, survey.StateScheduled, ""},
		{survey.EngagementSurvey{StartedOn: day("2026-02-18"), HasEmail: true}, survey.StateNotAsked, "It started more than 90 days ago."},
		{survey.EngagementSurvey{StartedOn: day("2026-05-18")}, survey.StateNotAsked, "The referral has no client email."},
		{survey.EngagementSurvey{StartedOn: day("2026-05-18"), HasEmail: true, OtherAsked: true}, survey.StateNotAsked,
			"The client was asked about another engagement of this referral."},
		{survey.EngagementSurvey{Surveyed: true, SentAt: &sent}, survey.StateSent, ""},
		{survey.EngagementSurvey{Surveyed: true, SentAt: &old}, survey.StateExpired, ""},
		{survey.EngagementSurvey{Surveyed: true, SentAt: &old, AnsweredAt: &at, Score: 4}, survey.StateAnswered, ""},
	} {
		require.Equal(t, c.want, c.e.State(today, now), "%+v", c.e)
		require.Equal(t, c.why, c.e.Why(today, now))
	}
	e := survey.EngagementSurvey{StartedOn: day("2026-05-18")}
	require.Equal(t, day("2026-05-25"), e.SendsOn(today))
	e.StartedOn = day("2026-04-01")
	require.Equal(t, today, e.SendsOn(today))
}

func TestPeriodicJobAndWorker(t *testing.T) {
	t.Parallel()
	require.NotNil(t, survey.ClientSurveyPeriodicJob())
	require.Equal(t, "client_survey_send", survey.ClientSurveyArgs{}.Kind())
	require.NoError(t, river.AddWorkerSafely(river.NewWorkers(), survey.NewClientSurveyWorker(nil, baseURL, nil)))
}
