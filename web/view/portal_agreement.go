package view

// PortalAgreementProps is the partner's Agreement page in the portal: the
// version waiting for acceptance (with the accept and decline forms for a
// partner admin), the version in force and the earlier ones.
type PortalAgreementProps struct {
	Base        string // /p/{slug}
	FirmName    string
	PartnerName string
	// Pending is the version sent for acceptance, nil when none.
	Pending *AgreementDoc
	// Current is the version in force, nil when none.
	Current *AgreementDoc
	// History are the other versions (superseded, expired, terminated,
	// declined), newest first.
	History []AgreementDoc
	// CanAccept: the person is a partner admin. Others read and are told
	// who can accept (Admins).
	CanAccept bool
	Admins    []string
	Accept    AcceptAgreementForm
	Decline   DeclineAgreementForm
}

// AcceptAgreementForm is the partner admin's acceptance: the full name
// typed as a signature and the "I have read and accept" box.
type AcceptAgreementForm struct {
	Form
	Name    string
	Checked bool
}

// DeclineAgreementForm is a refusal with its reason.
type DeclineAgreementForm struct {
	Form
	Reason string
}

func (d PortalAgreementProps) acceptURL() string {
	return d.Base + "/agreement/" + d.Pending.ID + "/accept"
}

func (d PortalAgreementProps) declineURL() string {
	return d.Base + "/agreement/" + d.Pending.ID + "/decline"
}

// pendingIntro says who sent the pending version, when, and when it would
// take effect.
func (d PortalAgreementProps) pendingIntro() string {
	s := d.FirmName + " sent it"
	if d.Pending.Sent != "" {
		s += " on " + d.Pending.Sent
	}
	return s + ". " + d.Pending.InForce + " Read it in full below, then accept or decline it."
}

// whoAccepts tells a partner member why they can't accept and whom to ask.
func (d PortalAgreementProps) whoAccepts() string {
	return "Only a partner admin of " + d.PartnerName + " can accept or decline an agreement, because accepting binds " +
		d.PartnerName + ". Ask " + adminNames(d.Admins) + " to accept it."
}

// adminNames joins the partner admins' names for "Ask … to accept".
func adminNames(names []string) string {
	switch len(names) {
	case 0:
		return "a partner admin"
	case 1:
		return names[0]
	}
	s := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			s += " or "
		default:
			s += ", "
		}
		s += n
	}
	return s
}
