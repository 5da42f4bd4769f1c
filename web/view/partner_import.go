package view

import "strconv"

// importPlural is "1 payment", "3 payments".
func importPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
