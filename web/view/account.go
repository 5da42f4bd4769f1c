package view

import "strconv"

// AccountProps is the signed-in person's account page: their name, the
// password change form, two-factor status and sessions. Each form has its
// own errors so a mistake in one is shown next to it.
type AccountProps struct {
	Name     string // the name field (the user's input when re-shown)
	Email    string // read-only
	Profile  Form
	Password Form
	// TwoFactorSince is when two-factor sign-in was turned on ("" when off).
	TwoFactorSince string
	RecoveryLeft   int
	// Sessions counts the person's live sessions, this one included.
	Sessions int
}

// TwoFactorSetupProps is the enrolment page: the pending secret as a QR code
// and as text, and the form for the first code.
type TwoFactorSetupProps struct {
	Form
	Email  string
	Secret string // base32, shown in groups of four for typing
	// QRCode is a data:image/png;base64 URL of the otpauth:// QR code.
	QRCode string
	Next   string // where to go once enrolled (already checked with safeNext)
	// RequiredBy names the firms that require two-factor sign-in of this person.
	RequiredBy []string
	// NotStarted: no secret yet. A GET never creates one (no GET changes
	// state), so the page offers a button that POSTs /account/2fa/start.
	NotStarted bool
}

// TwoFactorProps is the page of a person who has two-factor sign-in on.
type TwoFactorProps struct {
	Since        string
	RecoveryLeft int
	Next         string
	Regenerate   Form
	Disable      Form
	// RequiredBy names the firms that require it; turning it off is refused.
	RequiredBy []string
}

// RecoveryCodesProps shows freshly made recovery codes, once.
type RecoveryCodesProps struct {
	Codes []string
	// JustEnabled is true right after enrolment (rather than regeneration).
	JustEnabled bool
	Next        string // "Continue" goes here; /account when empty
}

// groupSecret spaces a base32 secret in groups of four for reading aloud
// and typing; authenticator apps ignore the spaces.
func groupSecret(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			b = append(b, ' ')
		}
		b = append(b, s[i])
	}
	return string(b)
}

func sessionsText(n int) string {
	switch {
	case n <= 1:
		return "You're signed in only here."
	case n == 2:
		return "You're signed in here and in 1 other place."
	default:
		return "You're signed in here and in " + strconv.Itoa(n-1) + " other places."
	}
}

func codesLeftText(n int) string {
	switch n {
	case 0:
		return "No recovery codes left. Make new ones so you can still sign in if you lose your device."
	case 1:
		return "1 recovery code left."
	default:
		return strconv.Itoa(n) + " recovery codes left."
	}
}

func continueURL(next string) string {
	if next == "" {
		return "/account"
	}
	return next
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := ""
	for i, n := range names {
		switch {
		case i == 0:
			out = n
		case i == len(names)-1:
			out += " and " + n
		default:
			out += ", " + n
		}
	}
	return out
}
