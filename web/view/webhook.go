package view

// WebhookRow is a webhook subscription in the list and on its page.
type WebhookRow struct {
	ID          string
	URL         string
	Description string
	Events      []string // labels
	Enabled     bool
	// DisabledReason says who disabled it, or why it was disabled
	// automatically; "" while enabled.
	DisabledReason string
	// The latest attempt: status (delivered, pending, failed), code and
	// when; LastAt "" when nothing was sent yet.
	LastStatus string
	LastCode   string
	LastAt     string
	Pending    int
}

// WebhookEventOption is an event checkbox of the create form.
type WebhookEventOption struct {
	Value   string
	Label   string
	Checked bool
}

// WebhookListProps is the webhooks settings page: the firm's subscriptions,
// the form to add one and, right after adding one, its signing secret
// (shown only then).
type WebhookListProps struct {
	Form
	Base     string // /t/{slug}/settings/webhooks
	DocsHint string // where the receiver's guide is
	Webhooks []WebhookRow
	// NewSecret is the secret of the webhook just created; never shown again.
	NewSecret string
	// The create form's input.
	URL         string
	Description string
	Events      []WebhookEventOption
}

// WebhookDeliveryRow is one line of the delivery log.
type WebhookDeliveryRow struct {
	ID         string
	Event      string // type, e.g. referral.created
	EventLabel string
	EventID    string
	Status     string // delivered, pending, failed
	Attempts   int
	Code       string // last response code; "" when there was no answer
	Error      string
	Last       string // last attempt
	Next       string // next attempt, while pending
}

// WebhookShowProps is one webhook's page: its settings, the actions (send
// a test event, disable or enable, delete) and its delivery log.
type WebhookShowProps struct {
	Base       string // /t/{slug}/settings/webhooks
	Hook       WebhookRow
	Created    string
	Deliveries []WebhookDeliveryRow
}
