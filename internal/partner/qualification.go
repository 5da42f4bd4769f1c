package partner

// Qualification: the firm's weighted criteria, a partner's 1–5 scores with
// notes, reference checks, the red-flag checklist, the potential assessment
// and the qualify-or-reject decision. The scoring and the red-flag rules are
// pure functions (WeightedScore, QualificationFlags); the rest is the store.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
)

// ---------------------------------------------------------------------------
// Pure rules

// DefaultCriteria are a firm's criteria until it changes them: the field
// guide's six, weighted 20/20/15/15/15/15 (the two the guide dwells on most —
// who they serve and how good they are — count a little more; total 100).
var DefaultCriteria = []CriterionInput{
	{Name: "Target market fit", Weight: 20},
	{Name: "Quality and reputation", Weight: 20},
	{Name: "Financial stability and capacity", Weight: 15},
	{Name: "Commitment and reciprocity", Weight: 15},
	{Name: "Cultural and values fit", Weight: 15},
	{Name: "Positioning compatibility", Weight: 15},
}

// WeightedScore is Σ score × weight ÷ Σ weight over the scored criteria, in
// hundredths of a point on the 1–5 scale (390 is 3.90). Weights need not add
// up to 100: dividing by their sum normalises them. The arithmetic is in
// integers and rounds once, half to even. Only criteria in weights count;
// a score outside 1–5 is ignored. complete is false when a criterion with a
// weight above zero has no score (the value is then over the scored ones); a
// zero-weight criterion changes nothing and is never missing. With nothing
// scored (or all weights zero) the value is 0.
func WeightedScore[K comparable](scores, weights map[K]int) (hundredths int, complete bool) {
	complete = true
	var num, den int64
	for k, w := range weights {
		if w <= 0 {
			continue
		}
		s, ok := scores[k]
		if !ok || s < 1 || s > 5 {
			complete = false
			continue
		}
		num += int64(s) * int64(w) * 100
		den += int64(w)
	}
	if den == 0 {
		return 0, false
	}
	return int(divRoundHalfEven(num, den)), complete
}

// divRoundHalfEven is num ÷ den (both ≥ 0, den > 0) rounded half to even.
func divRoundHalfEven(num, den int64) int64 {
	q, r := num/den, num%den
	switch {
	case 2*r > den:
		q++
	case 2*r == den && q%2 == 1:
		q++
	}
	return q
}

// FormatScore shows hundredths of a point as "3.90".
func FormatScore(hundredths int) string {
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}

// Severities of a QualFlag.
const (
	SeverityRed     = "red"     // a red flag: think twice before qualifying
	SeverityWarning = "warning" // worth a look (low potential)
	SeverityNote    = "note"    // context only (one or two bad stories)
)

// QualFlag is one finding of the red-flag rules.
type QualFlag struct {
	Kind     string // pattern, negative_references, low_potential, or a checklist key
	Severity string
	Label    string // short, for a badge
	Message  string // the sentence explaining it
}

// PatternThreshold is how many negative references make a pattern: "one bad
// story might be an outlier; three bad stories is a trend".
const PatternThreshold = 3

// MinExpectedReferrals is the yearly volume below which a partnership is not
// worth the management effort.
const MinExpectedReferrals = 3

// RedFlagKinds are the checklist items, in the order shown.
var RedFlagKinds = []string{"one_sided_interest", "vague_commitments", "cant_say_what_they_refer", "unrealistic_expectations"}

// RedFlagLabels are how the checklist items read.
var RedFlagLabels = map[string]string{
	"one_sided_interest":       "One-sided interest",
	"vague_commitments":        "Vague commitments",
	"cant_say_what_they_refer": "Can't say what they would refer to us",
	"unrealistic_expectations": "Unrealistic expectations about deal flow",
}

// QualificationFlags applies the red-flag rules: three or more negative
// references are a "pattern" red flag (one or two are a note); every ticked
// checklist item is a red flag; expected referrals to us below 3 a year is a
// warning (no warning until the potential is assessed).
func QualificationFlags(refs []Reference, checklist []RedFlag, potential Assessment) []QualFlag {
	var out []QualFlag
	neg := 0
	for _, r := range refs {
		if r.Sentiment == "negative" {
			neg++
		}
	}
	switch {
	case neg >= PatternThreshold:
		out = append(out, QualFlag{Kind: "pattern", Severity: SeverityRed, Label: "Pattern of negative references",
			Message: fmt.Sprintf("%d negative references: one bad story is an outlier, three are a trend.", neg)})
	case neg > 0:
		out = append(out, QualFlag{Kind: "negative_references", Severity: SeverityNote,
			Label:   plural(neg, "negative reference", "negative references"),
			Message: plural(neg, "negative reference", "negative references") + ": could be an outlier — look for a pattern before deciding."})
	}
	ticked := map[string]RedFlag{}
	for _, f := range checklist {
		ticked[f.Flag] = f
	}
	for _, k := range RedFlagKinds {
		if f, ok := ticked[k]; ok {
			msg := RedFlagLabels[k] + "."
			if f.Note != "" {
				msg = RedFlagLabels[k] + ": " + f.Note
			}
			out = append(out, QualFlag{Kind: k, Severity: SeverityRed, Label: RedFlagLabels[k], Message: msg})
		}
	}
	if in := potential.ExpectedIn; in != nil && *in < MinExpectedReferrals {
		out = append(out, QualFlag{Kind: "low_potential", Severity: SeverityWarning, Label: "Low referral potential",
			Message: fmt.Sprintf("Expected referrals to us: %d a year. Below %d a year the partnership is rarely worth the management effort.",
				*in, MinExpectedReferrals)})
	}
	return out
}

// HeaderFlags are the badges for a partner's header: red flags and
// warnings, not notes.
func HeaderFlags(fs []QualFlag) []string {
	var out []string
	for _, f := range fs {
		if f.Severity != SeverityNote {
			out = append(out, f.Label)
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ---------------------------------------------------------------------------
// Criteria

// Criterion is one of the firm's qualification criteria.
type Criterion struct {
	ID       uuid.UUID
	Name     string
	Weight   int
	Position int
	Active   bool
}

// CriterionInput is a new or edited criterion.
type CriterionInput struct {
	ID     uuid.UUID // zero for a new one
	Name   string
	Weight int
	// WeightText is the weight as typed; validation parses it into Weight.
	WeightText string
}

// validate trims and checks the input; errors keyed by prefix+"name"/"weight".
func (in *CriterionInput) validate(prefix string, errs map[string]string) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		errs[prefix+"name"] = "Enter the criterion's name."
	case len(in.Name) > 200:
		errs[prefix+"name"] = "Keep the name under 200 characters."
	}
	w, err := strconv.Atoi(strings.TrimSpace(in.WeightText))
	in.Weight = w
	if err != nil || w < 0 || w > 100 {
		errs[prefix+"weight"] = "Enter a whole number from 0 to 100."
	}
}

// WeightSum adds up the weights of the active criteria.
func WeightSum(cs []Criterion) int {
	n := 0
	for _, c := range cs {
		if c.Active {
			n += c.Weight
		}
	}
	return n
}

// EnsureDefaultCriteria gives a firm that has never had criteria the six
// defaults; it reports whether it created them.
func EnsureDefaultCriteria(ctx context.Context, q db.Querier, tenantID uuid.UUID) (bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM qualification_criteria WHERE tenant_id = $1)`, tenantID).Scan(&exists); err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	for i, c := range DefaultCriteria {
		// Two first reads at once: the loser's rows conflict on the name and are skipped.
		if _, err := q.Exec(ctx, `INSERT INTO qualification_criteria (tenant_id, name, weight, position)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, tenantID, c.Name, c.Weight, i+1); err != nil {
			return false, err
		}
	}
	return true, audit.Record(ctx, q, tenantID, "criteria.defaults_created", "tenant", tenantID.String(), nil)
}

// ListCriteria returns the firm's criteria (active first, then by position),
// creating the defaults the first time.
func ListCriteria(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Criterion, error) {
	if _, err := EnsureDefaultCriteria(ctx, q, tenantID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, name, weight, position, active FROM qualification_criteria
		WHERE tenant_id = $1 ORDER BY active DESC, position, lower(name), id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Criterion
	for rows.Next() {
		var c Criterion
		if err := rows.Scan(&c.ID, &c.Name, &c.Weight, &c.Position, &c.Active); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ActiveCriteria keeps the active ones.
func ActiveCriteria(cs []Criterion) []Criterion {
	var out []Criterion
	for _, c := range cs {
		if c.Active {
			out = append(out, c)
		}
	}
	return out
}

// GetCriterion returns one of the firm's criteria; ENotFound otherwise.
func GetCriterion(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Criterion, error) {
	var c Criterion
	err := q.QueryRow(ctx, `SELECT id, name, weight, position, active FROM qualification_criteria
		WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&c.ID, &c.Name, &c.Weight, &c.Position, &c.Active)
	if db.IsNoRows(err) {
		return Criterion{}, apperr.NotFound("Criterion")
	}
	return c, err
}

const criteriaNameKey = "qualification_criteria_name_key"

// CreateCriterion adds a criterion at the end of the list.
func CreateCriterion(ctx context.Context, q db.Querier, tenantID uuid.UUID, in CriterionInput) (Criterion, error) {
	errs := map[string]string{}
	in.validate("", errs)
	if len(errs) > 0 {
		return Criterion{}, apperr.Invalid(errs)
	}
	var c Criterion
	err := q.QueryRow(ctx, `INSERT INTO qualification_criteria (tenant_id, name, weight, position)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM qualification_criteria WHERE tenant_id = $1))
		RETURNING id, name, weight, position, active`, tenantID, in.Name, in.Weight).
		Scan(&c.ID, &c.Name, &c.Weight, &c.Position, &c.Active)
	if db.IsUniqueViolation(err, criteriaNameKey) {
		return Criterion{}, apperr.Invalid(map[string]string{"name": "There is already a criterion with this name."})
	}
	return c, err
}

// UpdateCriteria saves edited names and weights of the firm's criteria, all
// or nothing. Field errors are keyed "name.<id>" and "weight.<id>". Ids that
// aren't the firm's are not found.
func UpdateCriteria(ctx context.Context, q db.Querier, tenantID uuid.UUID, edits []CriterionInput) error {
	errs := map[string]string{}
	seen := map[string]bool{}
	for i := range edits {
		id := edits[i].ID.String()
		sub := map[string]string{}
		edits[i].validate("", sub)
		if m, ok := sub["name"]; ok {
			errs["name."+id] = m
		}
		if m, ok := sub["weight"]; ok {
			errs["weight."+id] = m
		}
		key := strings.ToLower(edits[i].Name)
		if key != "" && seen[key] {
			errs["name."+id] = "Two criteria can't have the same name."
		}
		seen[key] = true
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	for _, e := range edits {
		tag, err := q.Exec(ctx, `UPDATE qualification_criteria SET name = $3, weight = $4
			WHERE tenant_id = $1 AND id = $2`, tenantID, e.ID, e.Name, e.Weight)
		if db.IsUniqueViolation(err, criteriaNameKey) {
			return apperr.Invalid(map[string]string{"name." + e.ID.String(): "There is already a criterion with this name."})
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.NotFound("Criterion")
		}
	}
	return nil
}

// SetCriterionActive turns a criterion off (its scores stay, unused) or back on.
func SetCriterionActive(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, active bool) error {
	tag, err := q.Exec(ctx, `UPDATE qualification_criteria SET active = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, active)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Criterion")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Scores

// CriterionScore is a partner's score on one criterion.
type CriterionScore struct {
	CriterionID uuid.UUID
	Score       int
	Note        string
	ScoredBy    string // name
	ScoredAt    time.Time
}

// ScoreInput is one criterion's row of the scorecard form, as typed.
type ScoreInput struct {
	CriterionID uuid.UUID
	Name        string // the criterion's name, for messages
	Score       string // "" (not scored) or 1–5
	Note        string
}

// ValidateScores checks a scorecard; errors keyed "score.<id>" / "note.<id>".
func ValidateScores(in []ScoreInput) (map[uuid.UUID]int, error) {
	errs := map[string]string{}
	out := map[uuid.UUID]int{}
	for i := range in {
		id := in[i].CriterionID.String()
		in[i].Note = strings.TrimSpace(in[i].Note)
		if len(in[i].Note) > 2000 {
			errs["note."+id] = "Keep the note under 2,000 characters."
		}
		s := strings.TrimSpace(in[i].Score)
		if s == "" {
			if in[i].Note != "" {
				errs["score."+id] = "Choose a score from 1 to 5 for " + in[i].Name + ", or clear the note."
			}
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 5 {
			errs["score."+id] = "Choose a score from 1 to 5 for " + in[i].Name + "."
			continue
		}
		out[in[i].CriterionID] = n
	}
	if len(errs) > 0 {
		return nil, apperr.Invalid(errs)
	}
	return out, nil
}

// ListScores returns a partner's scores by criterion.
func ListScores(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (map[uuid.UUID]CriterionScore, error) {
	rows, err := q.Query(ctx, `SELECT s.criterion_id, s.score, s.note, coalesce(u.name, ''), s.scored_at
		FROM partner_scores s LEFT JOIN users u ON u.id = s.scored_by
		WHERE s.tenant_id = $1 AND s.partner_id = $2`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uuid.UUID]CriterionScore{}
	for rows.Next() {
		var s CriterionScore
		if err := rows.Scan(&s.CriterionID, &s.Score, &s.Note, &s.ScoredBy, &s.ScoredAt); err != nil {
			return nil, err
		}
		out[s.CriterionID] = s
	}
	return out, rows.Err()
}

// SaveScores validates and saves a scorecard: a score upserts (scorer and
// time change only when the score or note did), an empty one removes it.
// Every row must be one of the firm's active criteria.
func SaveScores(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in []ScoreInput, actorID uuid.UUID) (map[uuid.UUID]int, error) {
	scores, err := ValidateScores(in)
	if err != nil {
		return nil, err
	}
	var actor *uuid.UUID
	if actorID != uuid.Nil {
		actor = &actorID
	}
	for _, r := range in {
		if s, ok := scores[r.CriterionID]; ok {
			if _, err := q.Exec(ctx, `INSERT INTO partner_scores (tenant_id, partner_id, criterion_id, score, note, scored_by)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tenant_id, partner_id, criterion_id) DO UPDATE
				SET score = EXCLUDED.score, note = EXCLUDED.note, scored_by = EXCLUDED.scored_by, scored_at = now()
				WHERE partner_scores.score <> EXCLUDED.score OR partner_scores.note <> EXCLUDED.note`,
				tenantID, partnerID, r.CriterionID, s, r.Note, actor); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := q.Exec(ctx, `DELETE FROM partner_scores WHERE tenant_id = $1 AND partner_id = $2 AND criterion_id = $3`,
			tenantID, partnerID, r.CriterionID); err != nil {
			return nil, err
		}
	}
	return scores, nil
}

// Scorecard is a partner's weighted score against the active criteria.
type Scorecard struct {
	Hundredths int  // 0 when nothing is scored
	Complete   bool // every weighted criterion has a score
	Scored     int  // how many active criteria have a score
	Criteria   int  // how many active criteria there are
	WeightSum  int
}

// ScorePartner computes the scorecard from criteria and scores.
func ScorePartner(cs []Criterion, scores map[uuid.UUID]CriterionScore) Scorecard {
	ws, ss := map[uuid.UUID]int{}, map[uuid.UUID]int{}
	sc := Scorecard{}
	for _, c := range cs {
		if !c.Active {
			continue
		}
		sc.Criteria++
		sc.WeightSum += c.Weight
		ws[c.ID] = c.Weight
		if s, ok := scores[c.ID]; ok {
			ss[c.ID] = s.Score
			sc.Scored++
		}
	}
	sc.Hundredths, sc.Complete = WeightedScore(ss, ws)
	return sc
}

// ---------------------------------------------------------------------------
// References

// Sentiments of a reference.
var Sentiments = []string{"positive", "neutral", "negative"}

// Reference is what someone who knows the partner said about them.
type Reference struct {
	ID           uuid.UUID
	PartnerID    uuid.UUID
	Who          string
	Relationship string
	Sentiment    string
	Notes        string
	CreatedBy    string
	CreatedAt    time.Time
}

// ReferenceInput is the add-a-reference form.
type ReferenceInput struct {
	Who, Relationship, Sentiment, Notes string
}

// Validate trims and checks the input.
func (in *ReferenceInput) Validate() error {
	in.Who = strings.TrimSpace(in.Who)
	in.Relationship = strings.TrimSpace(in.Relationship)
	in.Sentiment = strings.TrimSpace(in.Sentiment)
	in.Notes = strings.TrimSpace(in.Notes)
	errs := map[string]string{}
	switch {
	case in.Who == "":
		errs["who"] = "Enter who gave the reference."
	case len(in.Who) > 200:
		errs["who"] = "Keep this under 200 characters."
	}
	if len(in.Relationship) > 200 {
		errs["relationship"] = "Keep this under 200 characters."
	}
	switch in.Sentiment {
	case "positive", "neutral", "negative":
	default:
		errs["sentiment"] = "Choose positive, neutral or negative."
	}
	if len(in.Notes) > 4000 {
		errs["notes"] = "Keep the notes under 4,000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// ListReferences returns a partner's references, newest first.
func ListReferences(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Reference, error) {
	rows, err := q.Query(ctx, `SELECT r.id, r.partner_id, r.who, r.relationship, r.sentiment, r.notes,
			coalesce(u.name, ''), r.created_at
		FROM partner_references r LEFT JOIN users u ON u.id = r.created_by
		WHERE r.tenant_id = $1 AND r.partner_id = $2 ORDER BY r.created_at DESC, r.id`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reference
	for rows.Next() {
		var r Reference
		if err := rows.Scan(&r.ID, &r.PartnerID, &r.Who, &r.Relationship, &r.Sentiment, &r.Notes, &r.CreatedBy, &r.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddReference records a reference check.
func AddReference(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in ReferenceInput, actorID uuid.UUID) (uuid.UUID, error) {
	if err := in.Validate(); err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO partner_references (tenant_id, partner_id, who, relationship, sentiment, notes, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		tenantID, partnerID, in.Who, in.Relationship, in.Sentiment, in.Notes, nullUser(actorID)).Scan(&id)
	return id, err
}

// GetReference returns one reference of the partner; ENotFound otherwise.
func GetReference(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) (Reference, error) {
	var r Reference
	err := q.QueryRow(ctx, `SELECT id, partner_id, who, relationship, sentiment, notes, '', created_at
		FROM partner_references WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, id).
		Scan(&r.ID, &r.PartnerID, &r.Who, &r.Relationship, &r.Sentiment, &r.Notes, &r.CreatedBy, &r.CreatedAt)
	if db.IsNoRows(err) {
		return Reference{}, apperr.NotFound("Reference")
	}
	return r, err
}

// DeleteReference removes one reference of the partner.
func DeleteReference(ctx context.Context, q db.Querier, tenantID, partnerID, id uuid.UUID) error {
	tag, err := q.Exec(ctx, `DELETE FROM partner_references WHERE tenant_id = $1 AND partner_id = $2 AND id = $3`, tenantID, partnerID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Reference")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Red-flag checklist

// RedFlag is a ticked checklist item with its note.
type RedFlag struct {
	Flag string
	Note string
}

// ListRedFlags returns a partner's ticked checklist items.
func ListRedFlags(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]RedFlag, error) {
	rows, err := q.Query(ctx, `SELECT flag, note FROM partner_red_flags WHERE tenant_id = $1 AND partner_id = $2 ORDER BY flag`,
		tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RedFlag
	for rows.Next() {
		var f RedFlag
		if err := rows.Scan(&f.Flag, &f.Note); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ValidateRedFlags checks the checklist; errors keyed "note.<flag>".
func ValidateRedFlags(in []RedFlag) error {
	errs := map[string]string{}
	for i := range in {
		in[i].Note = strings.TrimSpace(in[i].Note)
		if _, ok := RedFlagLabels[in[i].Flag]; !ok {
			errs["flag"] = "That isn't one of the red flags."
			continue
		}
		if len(in[i].Note) > 2000 {
			errs["note."+in[i].Flag] = "Keep the note under 2,000 characters."
		}
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// SaveRedFlags replaces the partner's ticked items with in.
func SaveRedFlags(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in []RedFlag, actorID uuid.UUID) error {
	if err := ValidateRedFlags(in); err != nil {
		return err
	}
	keep := make([]string, 0, len(in))
	for _, f := range in {
		keep = append(keep, f.Flag)
		if _, err := q.Exec(ctx, `INSERT INTO partner_red_flags (tenant_id, partner_id, flag, note, created_by)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, partner_id, flag) DO UPDATE SET note = EXCLUDED.note`,
			tenantID, partnerID, f.Flag, f.Note, nullUser(actorID)); err != nil {
			return err
		}
	}
	_, err := q.Exec(ctx, `DELETE FROM partner_red_flags WHERE tenant_id = $1 AND partner_id = $2 AND NOT (flag = ANY ($3))`,
		tenantID, partnerID, keep)
	return err
}

// ---------------------------------------------------------------------------
// Potential and decision

// Assessment is the potential assessment and the decision.
type Assessment struct {
	ExpectedIn        *int // referrals a year to us
	ExpectedOut       *int // referrals a year from us
	ClientsWhoBenefit *int
	Notes             string
	Decision          string // qualified, rejected or ""
	DecisionReason    string
	DecidedBy         string // name
	DecidedAt         *time.Time
}

// PotentialInput is the potential form as typed.
type PotentialInput struct {
	ExpectedIn, ExpectedOut, Clients, Notes string
}

// Parse checks the input and returns the numbers (nil when left empty).
func (in *PotentialInput) Parse() (inN, outN, clients *int, err error) {
	errs := map[string]string{}
	num := func(field, s string, max int) *int {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > max {
			errs[field] = fmt.Sprintf("Enter a whole number from 0 to %d, or leave it empty.", max)
			return nil
		}
		return &n
	}
	inN = num("expected_in", in.ExpectedIn, 10000)
	outN = num("expected_out", in.ExpectedOut, 10000)
	clients = num("clients", in.Clients, 1000000)
	in.Notes = strings.TrimSpace(in.Notes)
	if len(in.Notes) > 4000 {
		errs["potential_notes"] = "Keep the notes under 4,000 characters."
	}
	if len(errs) > 0 {
		return nil, nil, nil, apperr.Invalid(errs)
	}
	return inN, outN, clients, nil
}

// GetAssessment returns the partner's assessment (zero when none yet).
func GetAssessment(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (Assessment, error) {
	var a Assessment
	var decision *string
	err := q.QueryRow(ctx, `SELECT a.expected_referrals_in, a.expected_referrals_out, a.clients_who_benefit, a.notes,
			a.decision, a.decision_reason, coalesce(u.name, ''), a.decided_at
		FROM partner_assessments a LEFT JOIN users u ON u.id = a.decided_by
		WHERE a.tenant_id = $1 AND a.partner_id = $2`, tenantID, partnerID).
		Scan(&a.ExpectedIn, &a.ExpectedOut, &a.ClientsWhoBenefit, &a.Notes, &decision, &a.DecisionReason, &a.DecidedBy, &a.DecidedAt)
	if db.IsNoRows(err) {
		return Assessment{}, nil
	}
	if decision != nil {
		a.Decision = *decision
	}
	return a, err
}

// SavePotential records the potential assessment.
func SavePotential(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in PotentialInput) (Assessment, error) {
	inN, outN, clients, err := in.Parse()
	if err != nil {
		return Assessment{}, err
	}
	_, err = q.Exec(ctx, `INSERT INTO partner_assessments (tenant_id, partner_id, expected_referrals_in,
			expected_referrals_out, clients_who_benefit, notes)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, partner_id) DO UPDATE SET expected_referrals_in = EXCLUDED.expected_referrals_in,
			expected_referrals_out = EXCLUDED.expected_referrals_out, clients_who_benefit = EXCLUDED.clients_who_benefit,
			notes = EXCLUDED.notes, updated_at = now()`, tenantID, partnerID, inN, outN, clients, in.Notes)
	return Assessment{ExpectedIn: inN, ExpectedOut: outN, ClientsWhoBenefit: clients, Notes: in.Notes}, err
}

// DecisionInput is the qualify-or-reject form.
type DecisionInput struct {
	Decision string // qualify or reject
	Reason   string
}

// Validate checks the decision; a rejection needs its reason.
func (in *DecisionInput) Validate() error {
	in.Decision = strings.TrimSpace(in.Decision)
	in.Reason = strings.TrimSpace(in.Reason)
	errs := map[string]string{}
	switch in.Decision {
	case "qualify", "reject":
	default:
		errs["decision"] = "Choose qualify or reject."
	}
	if in.Decision == "reject" && in.Reason == "" {
		errs["reason"] = "Say why the partner is rejected."
	}
	if len(in.Reason) > 1000 {
		errs["reason"] = "Keep the reason under 1,000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

// CanDecide reports whether a partner in status may be qualified or rejected.
func CanDecide(status string) bool { return status == "prospect" || status == "qualifying" }

// DecisionTarget is the lifecycle status a decision moves a partner to.
func DecisionTarget(decision string) string {
	if decision == "qualify" {
		return "onboarding"
	}
	return "ended"
}

// RecordDecision writes the decision on the assessment (the caller moves the
// lifecycle in the same transaction).
func RecordDecision(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in DecisionInput, actorID uuid.UUID) error {
	stored := "qualified"
	if in.Decision == "reject" {
		stored = "rejected"
	}
	_, err := q.Exec(ctx, `INSERT INTO partner_assessments (tenant_id, partner_id, decision, decision_reason, decided_by, decided_at)
		VALUES ($1, $2, $3, $4, $5, now())
		ON CONFLICT (tenant_id, partner_id) DO UPDATE SET decision = EXCLUDED.decision,
			decision_reason = EXCLUDED.decision_reason, decided_by = EXCLUDED.decided_by,
			decided_at = EXCLUDED.decided_at, updated_at = now()`,
		tenantID, partnerID, stored, in.Reason, nullUser(actorID))
	return err
}

// Decide records a qualify-or-reject decision and moves the lifecycle in
// the same transaction: qualify → onboarding (through qualifying when the
// partner is still a prospect), reject → ended. Only a prospect or a
// partner being qualified can be decided (EConflict otherwise); the partner
// row is locked first. It returns the status the partner was in.
func Decide(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, in DecisionInput, actorID uuid.UUID) (string, error) {
	var from string
	err := q.QueryRow(ctx, `SELECT status FROM partners WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, partnerID).Scan(&from)
	if db.IsNoRows(err) {
		return "", apperr.NotFound("Partner")
	}
	if err != nil {
		return "", err
	}
	if !CanDecide(from) {
		return from, apperr.Errorf(apperr.EConflict,
			"Only a prospect or a partner being qualified can be qualified or rejected; this partner is %s.", StatusLabels[from])
	}
	if err := in.Validate(); err != nil {
		return from, err
	}
	if err := RecordDecision(ctx, q, tenantID, partnerID, in, actorID); err != nil {
		return from, err
	}
	reason := "Qualified"
	if in.Decision == "reject" {
		reason = "Rejected"
	}
	if in.Reason != "" {
		reason += ": " + in.Reason
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	if in.Decision == "qualify" && from == "prospect" {
		if _, err := MoveStatus(ctx, q, tenantID, partnerID, "qualifying", reason, actorID); err != nil {
			return from, err
		}
	}
	_, err = MoveStatus(ctx, q, tenantID, partnerID, DecisionTarget(in.Decision), reason, actorID)
	return from, err
}

// Qualification is everything the qualification tab shows of a partner.
type Qualification struct {
	Criteria   []Criterion // active ones, in order
	Scores     map[uuid.UUID]CriterionScore
	Scorecard  Scorecard
	References []Reference
	RedFlags   []RedFlag
	Assessment Assessment
	Flags      []QualFlag
}

// LoadQualification reads a partner's qualification (creating the firm's
// default criteria the first time).
func LoadQualification(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) (Qualification, error) {
	var out Qualification
	cs, err := ListCriteria(ctx, q, tenantID)
	if err != nil {
		return out, err
	}
	out.Criteria = ActiveCriteria(cs)
	if out.Scores, err = ListScores(ctx, q, tenantID, partnerID); err != nil {
		return out, err
	}
	out.Scorecard = ScorePartner(out.Criteria, out.Scores)
	if out.References, err = ListReferences(ctx, q, tenantID, partnerID); err != nil {
		return out, err
	}
	if out.RedFlags, err = ListRedFlags(ctx, q, tenantID, partnerID); err != nil {
		return out, err
	}
	if out.Assessment, err = GetAssessment(ctx, q, tenantID, partnerID); err != nil {
		return out, err
	}
	out.Flags = QualificationFlags(out.References, out.RedFlags, out.Assessment)
	return out, nil
}

// PartnerQualificationFlags is the red-flag summary of a partner, for other
// tabs' headers.
func PartnerQualificationFlags(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]QualFlag, error) {
	refs, err := ListReferences(ctx, q, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	rf, err := ListRedFlags(ctx, q, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	a, err := GetAssessment(ctx, q, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	return QualificationFlags(refs, rf, a), nil
}

func nullUser(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
