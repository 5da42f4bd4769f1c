package view

import "strconv"

// PartnerListProps is the partner directory: the search and filter form,
// one page of partners and the links that keep the filters.
type PartnerListProps struct {
	Base      string
	CanCreate bool
	Partners  []PartnerDirRow
	// The filter form, as the user submitted it.
	Q        string
	Type     string
	Statuses []Option // every status; Checked ones have Value in Selected
	Selected map[string]bool
	Tier     string
	Region   string
	Industry string
	Owner    string
	Sort     string
	Dir      string // "asc" or "desc"
	PerPage  string
	Types    []Option
	Tiers    []Option
	Owners   []Option
	PerPages []Option
	Sorts    []Option
	// Columns are the table headers; sortable ones link to a sort that keeps the filters.
	Columns    []SortColumn
	Pagination PaginationProps
	CSVURL     string // the export of exactly the filtered, sorted set (all pages)
	ClearURL   string
	Filtered   bool // a search or filter is applied
	Total      int
}

// PartnerDirRow is a partner in the directory table.
type PartnerDirRow struct {
	ID      string
	Name    string
	Domain  string
	Type    string
	Status  string
	Tier    string
	Owner   string
	Regions string
	Updated string
}

// SortColumn is a header of the directory table. URL is empty for a column
// that doesn't sort.
type SortColumn struct {
	Label string
	URL   string
	// AriaSort is "ascending" or "descending" on the column the table is sorted by.
	AriaSort string
}

// sortArrow marks the sorted column visually (aria-sort says it to screen readers).
func sortArrow(ariaSort string) string {
	switch ariaSort {
	case "ascending":
		return " ▲"
	case "descending":
		return " ▼"
	}
	return ""
}

func pluralPartners(n int) string {
	if n == 1 {
		return "1 partner"
	}
	return strconv.Itoa(n) + " partners"
}
