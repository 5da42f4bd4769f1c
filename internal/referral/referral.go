// Package referral is the heart of Allyway: referrals both ways between a firm
// and its partners, their pipeline, SLA clocks, duplicates and attribution,
// and the engagements won referrals become.
package referral

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/notify"
)

// Answer is one checklist answer as recorded on the referral.
type Answer struct {
	QuestionID uuid.UUID `json:"question_id"`
	Question   string    `json:"question"`
	Required   bool      `json:"required"`
	Answer     bool      `json:"answer"`
}

// Contact is the referred person (PII, kept apart).
type Contact struct {
	Name, Email, Phone string
	Erased             bool
}

// Assist is a partner that helped with a referral.
type Assist struct {
	PartnerID   uuid.UUID
	PartnerName string
	Note        string
}

// Referral is one referral, inbound or outbound.
type Referral struct {
	ID                  uuid.UUID
	Number              int64
	Direction           string
	PartnerID           uuid.UUID
	PartnerName         string
	ProspectID          uuid.UUID
	Contact             Contact
	ClientID            *uuid.UUID
	ClientCompany       string
	ClientDomain        string
	ServiceID           *uuid.UUID
	ServiceName         string
	Challenge           string
	Context             string
	PromisesMade        string
	Urgency             string
	EstimatedValueCents *int64
	Currency            string
	Checklist           []Answer
	Status              string
	StatusChangedAt     time.Time
	Source              string
	SubmittedAt         time.Time
	SubmittedBy         *uuid.UUID
	OriginatorUserID    *uuid.UUID
	OwnerUserID         *uuid.UUID
	OriginatorName      string
	OwnerName           string
	CreditedPartnerID   *uuid.UUID
	CreditedPartnerName string
	ConflictWithID      *uuid.UUID
	ConflictStatus      string
	ConflictNote        string
	ClaimExpiresAt      *time.Time

	FirstResponseDueAt   *time.Time
	FirstRespondedAt     *time.Time
	FirstContactDueAt    *time.Time
	ContactedAt          *time.Time
	MeetingDueAt         *time.Time
	MeetingAt            *time.Time
	PartnerResponseDueAt *time.Time
	PartnerAcceptedAt    *time.Time
	PartnerDeclinedAt    *time.Time
	PartnerDeclineReason string

	ClosedAt           *time.Time
	CloseReason        string
	Fit                string
	FitNote            string
	FeeDisclosedAt     *time.Time
	ConflictsClearedAt *time.Time
	AttestClient       bool
	AgreementID        *uuid.UUID
	Assists            []Assist // loaded by Get only
	CreatedAt          time.Time
	UpdatedAt          time.Time

	// RiskWindow is how long before a due time a clock is "at risk": the
	// firm's reminder hours (loaded with the referral; 0: no at-risk state).
	RiskWindow time.Duration
}

// Ref is the number people say on the phone ("R-1042").
func (r Referral) Ref() string { return fmt.Sprintf("R-%d", r.Number) }

// Open reports whether the referral is still in the pipeline.
func (r Referral) Open() bool {
	return r.Status != Won && r.Status != Lost && r.Status != Declined
}

// Notifier is what writes that notify need: emails are queued in the same tx.
type Notifier struct {
	Outbox  *notify.Outbox
	BaseURL string
	Now     func() time.Time
}

// now returns the notifier's clock (time.Now when unset), truncated to
// microseconds like PostgreSQL.
func (n Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now().Truncate(time.Microsecond)
	}
	return time.Now().Truncate(time.Microsecond)
}

// ptrID returns nil for uuid.Nil.
func ptrID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// ptrStr returns nil for "".
func ptrStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
