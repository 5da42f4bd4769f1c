package view

import "strconv"

// PartnerLink is a partner named in a list of another thing.
type PartnerLink struct {
	ID     string
	Name   string
	Status string
}

// ServiceItem is one service on the map.
type ServiceItem struct {
	ID          string
	Name        string
	Description string
	Partners    []PartnerLink // who covers it; none shows "Not covered"
}

// ServicePhaseColumn is one phase of the map: ours, before, during, after.
type ServicePhaseColumn struct {
	Key      string
	Label    string
	Hint     string
	Services []ServiceItem
}

// ServiceFormProps is the add / edit a service form.
type ServiceFormProps struct {
	Form
	Name        string
	Phase       string
	Description string
	Phases      []Option
}

// ServiceMapProps is the complementary service map page.
type ServiceMapProps struct {
	Base      string // /t/{slug}
	CanManage bool
	Columns   []ServicePhaseColumn
	Total     int
	Uncovered int // client-need services (not ours) no partner covers
	Add       ServiceFormProps
}

// ServiceEditProps is the edit-a-service page.
type ServiceEditProps struct {
	Base     string
	ID       string
	Service  ServiceFormProps
	Partners []PartnerLink
	GapCount int // gaps logged against it: deleting the service removes them
}

// GapRow is one logged gap.
type GapRow struct {
	ID        string
	ServiceID string
	Service   string
	Client    string
	NotedBy   string
	NotedOn   string
	Note      string
}

// GapFormProps is the log-a-gap form; the user's input is kept.
type GapFormProps struct {
	Form
	ServiceID  string
	NewService string
	NewPhase   string
	ClientName string
	NotedBy    string
	NotedOn    string
	Note       string
	Services   []Option
	Phases     []Option
	Staff      []Option
}

// GapReportRow is one service in the gap report.
type GapReportRow struct {
	Rank      int
	ServiceID string
	Service   string
	Count     int
	Last      string
	Partners  []PartnerLink
}

// GapReportProps ranks the gaps of the last 12 months.
type GapReportProps struct {
	Base  string
	Since string // first date counted
	Until string // today
	Rows  []GapReportRow
}

// GapsProps is the gap log page: the form, the report and the log.
type GapsProps struct {
	Base      string
	CanManage bool
	Log       GapFormProps
	Report    GapReportProps
	Gaps      []GapRow
	// ExportURL is the Download CSV link: the whole log.
	ExportURL string
}

func gapTimesLabel(n int) string {
	if n == 1 {
		return "1 time"
	}
	return strconv.Itoa(n) + " times"
}

func serviceCountLine(total, uncovered int) string {
	line := strconv.Itoa(total) + " services on the map"
	if total == 1 {
		line = "1 service on the map"
	}
	switch uncovered {
	case 0:
		return line + "."
	case 1:
		return line + "; 1 client need no partner covers."
	default:
		return line + "; " + strconv.Itoa(uncovered) + " client needs no partner covers."
	}
}

// serviceDeleteNote says what deleting a service takes with it.
func serviceDeleteNote(gaps, partners int) string {
	out := "Nothing else refers to it."
	switch {
	case gaps == 1:
		out = "The gap log has 1 request for it; deleting the service deletes it too."
	case gaps > 1:
		out = "The gap log has " + strconv.Itoa(gaps) + " requests for it; deleting the service deletes them too."
	}
	switch {
	case partners == 1:
		out += " 1 partner is marked as covering it."
	case partners > 1:
		out += " " + strconv.Itoa(partners) + " partners are marked as covering it."
	}
	return out
}
