package enablement_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/enablement"
	"github.com/allyway/allyway/internal/jobs"
	"github.com/allyway/allyway/internal/notify"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

type fixture struct {
	owner, app *pgxpool.Pool
	db         *db.DB
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return fixture{owner: owner, app: app, db: db.New(app)}
}

func (f fixture) firm(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	_, err := f.owner.Exec(context.Background(), `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, id, slug, "Firm "+slug)
	require.NoError(t, err)
	return id
}

func (f fixture) in(t *testing.T, tenantID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, f.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func (f fixture) tier(t *testing.T, tenantID uuid.UUID, name string, rank int) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	f.in(t, tenantID, func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, $2, $3, 90) RETURNING id`, tenantID, name, rank).Scan(&id)
	})
	return id
}

func (f fixture) partner(t *testing.T, tenantID uuid.UUID, name, status string, tier *uuid.UUID) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	f.in(t, tenantID, func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO partners (tenant_id, name, status, tier_id) VALUES ($1, $2, $3, $4) RETURNING id`,
			tenantID, name, status, tier).Scan(&id)
	})
	return id
}

// portalUser adds a person with portal access to a partner.
func (f fixture) portalUser(t *testing.T, tenantID, partnerID uuid.UUID, email string, disabled bool) {
	t.Helper()
	ctx := context.Background()
	var uid uuid.UUID
	require.NoError(t, f.owner.QueryRow(ctx, `INSERT INTO users (email, name, disabled_at) VALUES ($1, $2, CASE WHEN $3 THEN now() END) RETURNING id`,
		email, "Pat "+strings.Split(email, "@")[0], disabled).Scan(&uid))
	_, err := f.owner.Exec(ctx, `INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role) VALUES ($1, $2, $3, 'partner_member')`,
		tenantID, uid, partnerID)
	require.NoError(t, err)
}

func TestItemValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    enablement.ItemInput
		field string
	}{
		{enablement.ItemInput{Kind: "poster", Title: "x"}, "kind"},
		{enablement.ItemInput{Kind: "faq", Title: "  "}, "title"},
		{enablement.ItemInput{Kind: "faq", Title: strings.Repeat("x", 201)}, "title"},
		{enablement.ItemInput{Kind: "faq", Title: "x", Summary: strings.Repeat("x", 501)}, "summary"},
		{enablement.ItemInput{Kind: "faq", Title: "x", BodyMD: strings.Repeat("x", 100001)}, "body_md"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "javascript:alert(1)"}, "link_url"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "ftp://files.example/x"}, "link_url"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "www.example.com"}, "link_url"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "https://"}, "link_url"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "https://user:pw@example.com"}, "link_url"},
		{enablement.ItemInput{Kind: "training", Title: "x", LinkURL: "https://example.com/a b"}, "link_url"},
	} {
		err := tc.in.Validate()
		require.Equal(t, apperr.EInvalid, apperr.Code(err), "%+v", tc.in)
		require.Contains(t, apperr.FieldErrors(err), tc.field, "%+v", tc.in)
	}
	in := enablement.ItemInput{Kind: "training", Title: " Webinar ", LinkURL: " https://video.example/watch?v=1 ", BodyMD: "a\r\nb\n\n"}
	require.NoError(t, in.Validate())
	require.Equal(t, "Webinar", in.Title)
	require.Equal(t, "https://video.example/watch?v=1", in.LinkURL)
	require.Equal(t, "a\nb", in.BodyMD)
}

func TestFillPlaceholders(t *testing.T) {
	t.Parallel()
	tpl := "Hi {{client_name}}, meet {{ partner_name }} from {{our_firm}}; ask {{contact_name}}. {{unknown}} {{ open"
	got := enablement.Fill(tpl, enablement.ExampleValues("Northwind Partners"))
	require.Equal(t, "Hi Alex Morgan, meet Brightline Advisory from Northwind Partners; ask Sam Patel. {{unknown}} {{ open", got)
	require.Equal(t, []string{"client_name", "partner_name", "our_firm", "contact_name"}, enablement.UsedPlaceholders(tpl))
	require.Empty(t, enablement.UsedPlaceholders("no placeholders {{here}}"))
	// Partial fill keeps the others visible.
	require.Equal(t, "{{client_name}} / Acme", enablement.Fill("{{client_name}} / {{partner_name}}", map[string]string{"partner_name": "Acme"}))
}

func TestVisibilityAndList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm, other := f.firm(t, "lib"), f.firm(t, "other")
	gold, silver := f.tier(t, firm, "Gold", 1), f.tier(t, firm, "Silver", 2)
	otherTier := f.tier(t, other, "Theirs", 1)
	var all, goldOnly, draft enablement.Item
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		all, err = enablement.Create(ctx, tx, firm, enablement.ItemInput{Kind: "one_pager", Title: "Who we help", BodyMD: "Mid-size *manufacturers*", Published: true}, uuid.Nil)
		require.NoError(t, err)
		goldOnly, err = enablement.Create(ctx, tx, firm, enablement.ItemInput{Kind: "case_study", Title: "Acme 100% growth_story",
			TierIDs: []uuid.UUID{gold, gold}, Published: true}, uuid.Nil)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{gold}, goldOnly.TierIDs, "duplicates dropped")
		draft, err = enablement.Create(ctx, tx, firm, enablement.ItemInput{Kind: "faq", Title: "Draft FAQ"}, uuid.Nil)
		require.NoError(t, err)
		// Another firm's tier is refused.
		_, err = enablement.Create(ctx, tx, firm, enablement.ItemInput{Kind: "faq", Title: "x", TierIDs: []uuid.UUID{otherTier}}, uuid.Nil)
		require.Contains(t, apperr.FieldErrors(err), "tier_ids")
		return nil
	})
	titles := func(items []enablement.Item) []string {
		out := []string{}
		for _, i := range items {
			out = append(out, i.Title)
		}
		return out
	}
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		items, err := enablement.List(ctx, tx, firm, enablement.Filter{})
		require.NoError(t, err)
		require.Equal(t, []string{"Who we help", "Acme 100% growth_story", "Draft FAQ"}, titles(items), "kind order")
		items, err = enablement.List(ctx, tx, firm, enablement.Filter{Kind: "faq"})
		require.NoError(t, err)
		require.Equal(t, []string{"Draft FAQ"}, titles(items))
		items, err = enablement.List(ctx, tx, firm, enablement.Filter{Q: "MANUFACTURERS"})
		require.NoError(t, err)
		require.Equal(t, []string{"Who we help"}, titles(items), "search the text, any case")
		items, err = enablement.List(ctx, tx, firm, enablement.Filter{Q: "100%"})
		require.NoError(t, err)
		require.Equal(t, []string{"Acme 100% growth_story"}, titles(items), "% is literal")
		items, err = enablement.List(ctx, tx, firm, enablement.Filter{Q: "h_w"})
		require.NoError(t, err)
		require.Empty(t, items, "_ is literal")

		for _, tc := range []struct {
			tier *uuid.UUID
			want []string
		}{
			{&gold, []string{"Who we help", "Acme 100% growth_story"}},
			{&silver, []string{"Who we help"}},
			{nil, []string{"Who we help"}},
		} {
			items, err := enablement.List(ctx, tx, firm, enablement.Filter{Portal: true, PartnerTier: tc.tier})
			require.NoError(t, err)
			require.Equal(t, tc.want, titles(items))
		}
		_, err = enablement.GetVisible(ctx, tx, firm, goldOnly.ID, &silver)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = enablement.GetVisible(ctx, tx, firm, goldOnly.ID, nil)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = enablement.GetVisible(ctx, tx, firm, draft.ID, &gold)
		require.Equal(t, apperr.ENotFound, apperr.Code(err), "unpublished")
		got, err := enablement.GetVisible(ctx, tx, firm, goldOnly.ID, &gold)
		require.NoError(t, err)
		require.Equal(t, goldOnly.ID, got.ID)
		return nil
	})
	// Another firm sees none of it.
	f.in(t, other, func(ctx context.Context, tx pgx.Tx) error {
		_, err := enablement.Get(ctx, tx, other, all.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = enablement.Update(ctx, tx, other, all.ID, enablement.ItemInput{Kind: "faq", Title: "hijack"})
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = enablement.Delete(ctx, tx, other, all.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = enablement.AddFile(ctx, tx, other, all.ID, "a.txt", []byte("x"), uuid.Nil)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		return nil
	})
}

func TestFilesNothingWrittenOnRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "files")
	var item enablement.Item
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		item, err = enablement.Create(ctx, tx, firm, enablement.ItemInput{Kind: "faq", Title: "FAQ", Published: true}, uuid.Nil)
		return err
	})
	count := func() int {
		var n int
		require.NoError(t, f.owner.QueryRow(context.Background(), `SELECT count(*) FROM enablement_files`).Scan(&n))
		return n
	}
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := enablement.AddFile(ctx, tx, firm, item.ID, "big.txt", make([]byte, enablement.MaxFileBytes+1), uuid.Nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		_, err = enablement.AddFile(ctx, tx, firm, item.ID, "run.exe", []byte("MZ"), uuid.Nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		_, err = enablement.AddFile(ctx, tx, firm, item.ID, "fake.pdf", []byte("<script>"), uuid.Nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		return nil
	})
	require.Zero(t, count())

	var file enablement.File
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		file, err = enablement.AddFile(ctx, tx, firm, item.ID, `C:\docs\faq.md`, []byte("# FAQ\n"), uuid.Nil)
		return err
	})
	require.Equal(t, "faq.md", file.Filename)
	require.Equal(t, "text/markdown; charset=utf-8", file.ContentType)
	require.Equal(t, 6, file.SizeBytes)
	require.Len(t, file.SHA256, 32)
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		got, data, err := enablement.FileData(ctx, tx, firm, item.ID, file.ID)
		require.NoError(t, err)
		require.Equal(t, "# FAQ\n", string(data))
		require.Equal(t, file.ID, got.ID)
		// The file is reached only through its item.
		_, _, err = enablement.FileData(ctx, tx, firm, uuid.New(), file.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		it, err := enablement.Get(ctx, tx, firm, item.ID)
		require.NoError(t, err)
		require.Equal(t, 1, it.FileCount)
		_, err = enablement.DeleteFile(ctx, tx, firm, item.ID, file.ID)
		return err
	})
	require.Zero(t, count())
}

func TestHotProfileSaveAndMonths(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "hot")
	today := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		h, created, err := enablement.SaveHot(ctx, tx, firm, today, enablement.HotInput{Title: " Family offices ", BodyMD: "**Who**"}, uuid.Nil, today)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "Family offices", h.Title)
		require.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), h.Month.UTC())
		h2, created, err := enablement.SaveHot(ctx, tx, firm, today, enablement.HotInput{Title: "Family offices in Ohio"}, uuid.Nil, today)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, h.ID, h2.ID)
		_, _, err = enablement.SaveHot(ctx, tx, firm, today.AddDate(0, 1, 0), enablement.HotInput{Title: "December"}, uuid.Nil, today)
		require.NoError(t, err, "next month can be prepared")
		_, _, err = enablement.SaveHot(ctx, tx, firm, today.AddDate(0, -1, 0), enablement.HotInput{Title: "Past"}, uuid.Nil, today)
		require.Contains(t, apperr.FieldErrors(err), "month")
		_, _, err = enablement.SaveHot(ctx, tx, firm, today.AddDate(0, 2, 0), enablement.HotInput{Title: "Too far"}, uuid.Nil, today)
		require.Contains(t, apperr.FieldErrors(err), "month")
		_, _, err = enablement.SaveHot(ctx, tx, firm, today, enablement.HotInput{Title: " "}, uuid.Nil, today)
		require.Contains(t, apperr.FieldErrors(err), "title")

		latest, err := enablement.LatestHot(ctx, tx, firm, today)
		require.NoError(t, err)
		require.Equal(t, "Family offices in Ohio", latest.Title, "December's isn't shown before December")
		hist, err := enablement.HotHistory(ctx, tx, firm, 0)
		require.NoError(t, err)
		require.Len(t, hist, 2)
		require.Equal(t, "December", hist[0].Title)
		return nil
	})
}

// TestHotProfileEmailedOnce: the profile goes to the portal users of active
// partners only (not disabled ones, not paused or onboarding partners), once,
// whether sent from the page or by the monthly job.
func TestHotProfileEmailedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm, quiet := f.firm(t, "mail"), f.firm(t, "quiet")
	active := f.partner(t, firm, "Active One", "active", nil)
	f.portalUser(t, firm, active, "ann@active.example", false)
	f.portalUser(t, firm, active, "gone@active.example", true)
	active2 := f.partner(t, firm, "Active Two", "active", nil)
	f.portalUser(t, firm, active2, "bob@two.example", false)
	paused := f.partner(t, firm, "Paused", "paused", nil)
	f.portalUser(t, firm, paused, "cy@paused.example", false)
	onb := f.partner(t, firm, "Onboarding", "onboarding", nil)
	f.portalUser(t, firm, onb, "di@onb.example", false)

	client, err := jobs.NewClient(jobs.Deps{Pool: f.app, Logger: slog.New(slog.DiscardHandler)}, false)
	require.NoError(t, err)
	outbox := notify.NewOutbox(client)
	now := time.Now().UTC()

	emails := func() []notify.OutboxMessage {
		var out []notify.OutboxMessage
		require.NoError(t, f.db.Global(context.Background(), func(tx pgx.Tx) (err error) {
			out, err = notify.ListOutbox(context.Background(), tx, 100)
			return err
		}))
		return out
	}

	var h enablement.HotProfile
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		h, _, err = enablement.SaveHot(ctx, tx, firm, now, enablement.HotInput{Title: "Founders selling their business",
			BodyMD: "Owners **5 years** from exit. <script>alert(1)</script>"}, uuid.Nil, now)
		return err
	})
	// A firm with a profile but no active partner on the portal: nothing sent, not marked.
	var quietHot enablement.HotProfile
	f.in(t, quiet, func(ctx context.Context, tx pgx.Tx) (err error) {
		quietHot, _, err = enablement.SaveHot(ctx, tx, quiet, now, enablement.HotInput{Title: "Quiet"}, uuid.Nil, now)
		require.NoError(t, err)
		_, err = enablement.SendHot(ctx, tx, outbox, quiet, quietHot.ID, "", now)
		require.ErrorIs(t, err, enablement.ErrNoRecipients)
		return nil
	})

	var n int
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		n, err = enablement.SendHot(ctx, tx, outbox, firm, h.ID, "https://app.example", now)
		return err
	})
	require.Equal(t, 2, n)
	got := emails()
	require.Len(t, got, 2)
	to := []string{got[0].To, got[1].To}
	require.ElementsMatch(t, []string{`"Pat ann" <ann@active.example>`, `"Pat bob" <bob@two.example>`}, to)
	m := got[0]
	require.Contains(t, m.Subject, "Founders selling their business")
	require.Contains(t, m.Text, "Owners **5 years** from exit.")
	require.Contains(t, m.Text, "https://app.example/p/mail")
	require.Contains(t, m.HTML, "<strong>5 years</strong>")
	require.NotContains(t, m.HTML, "<script")

	// Second send: refused, nothing more queued.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := enablement.SendHot(ctx, tx, outbox, firm, h.ID, "", now)
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		require.Contains(t, apperr.Message(err), "already emailed")
		return nil
	})
	require.Len(t, emails(), 2)

	// The monthly job skips the firm already emailed and the quiet one; then
	// a new firm's profile goes out once however often the job runs.
	late := f.firm(t, "late")
	lp := f.partner(t, late, "Late Partner", "active", nil)
	f.portalUser(t, late, lp, "eve@late.example", false)
	f.in(t, late, func(ctx context.Context, tx pgx.Tx) error {
		_, _, err := enablement.SaveHot(ctx, tx, late, now, enablement.HotInput{Title: "Late profile"}, uuid.Nil, now)
		return err
	})
	w := &enablement.HotEmailWorker{Pool: f.app, Outbox: outbox, Logger: slog.New(slog.DiscardHandler)}
	job := &river.Job[enablement.HotEmailArgs]{JobRow: &rivertype.JobRow{}, Args: enablement.HotEmailArgs{Month: enablement.MonthOf(now).Format(time.DateOnly)}}
	for range 3 {
		require.NoError(t, w.Work(context.Background(), job))
	}
	got = emails()
	require.Len(t, got, 3)
	require.Equal(t, `"Pat eve" <eve@late.example>`, got[0].To)
	require.Contains(t, got[0].Subject, "Late profile")
	require.NotContains(t, got[0].Text, "/p/late", "no base URL, no link")

	// A bad month cancels the job rather than retrying it.
	err = w.Work(context.Background(), &river.Job[enablement.HotEmailArgs]{JobRow: &rivertype.JobRow{}, Args: enablement.HotEmailArgs{Month: "nope"}})
	require.Error(t, err)
}

func TestMonthlySchedule(t *testing.T) {
	t.Parallel()
	// The periodic job exists and is built without panicking.
	require.NotNil(t, enablement.HotEmailPeriodicJob())
}
