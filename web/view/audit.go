package view

// AuditRow is one audit log entry.
type AuditRow struct {
	At     string
	Who    string
	Email  string
	Action string
	Target string
	Detail string
	IP     string
}

// AuditProps is a page of the audit log.
type AuditProps struct {
	Entries   []AuditRow
	OlderURL  string
	NewestURL string
	// ExportURL is the Download CSV link: the whole log.
	ExportURL string
}
