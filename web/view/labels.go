package view

import (
	"net/http"
	"strconv"
)

var roleLabels = map[string]string{
	"owner":          "Owner",
	"admin":          "Admin",
	"manager":        "Partner manager",
	"finance":        "Finance",
	"viewer":         "Viewer",
	"partner_admin":  "Partner admin",
	"partner_member": "Partner member",
}

// roleLabel is how a role is shown to people.
func roleLabel(r string) string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return r
}

// RoleLabel is roleLabel for handlers (option lists).
func RoleLabel(r string) string { return roleLabel(r) }

func statusText(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
