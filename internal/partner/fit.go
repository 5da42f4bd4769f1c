package partner

import (
	"strings"

	"github.com/allyway/allyway/internal/tenant"
)

// FitDimension is one of the four dimensions of the ideal client profile
// compared between the firm and a partner.
type FitDimension struct {
	Key     string   // industries, client_sizes, stages, regions
	Label   string   // "industries", "client sizes", …
	Ours    []string // what the firm named (deduplicated, its spelling)
	Theirs  []string // what the partner named
	Shared  []string // ours that the partner also named (our spelling, our order)
	Skipped bool     // we named none: the dimension does not count
	Overlap int      // |Shared| / |Ours| in percent, rounded; 0 when skipped
}

// FitResult is how well a partner's target client profile overlaps ours.
type FitResult struct {
	// HasICP is false when the firm named nothing in any dimension: there
	// is nothing to compare against, and Score is 0.
	HasICP bool
	// Score is 0–100: the mean overlap of the dimensions we named (each of
	// the four weighs 25; a skipped one's weight goes to the others).
	Score      int
	Dimensions []FitDimension
	// Reasons explain the score, one line per dimension compared
	// ("Shared industries: fintech, healthcare", "No shared regions").
	Reasons []string
	// OurPositioning and TheirPositioning are premium, mid_market, value or "".
	OurPositioning   string
	TheirPositioning string
	// PositioningWarning is set when one side is premium and the other value.
	PositioningWarning string
}

// PositioningMismatchWarning is shown when a premium firm meets a value one.
const PositioningMismatchWarning = "Premium firms and value firms rarely share clients: the mismatch confuses clients and erodes both brands."

// Fit compares the firm's ideal client profile with a partner's target
// client profile. Comparison is case-insensitive and ignores blanks and
// duplicates.
func Fit(icp tenant.Settings, p Partner) FitResult {
	dims := []FitDimension{
		compareDim("industries", "industries", icp.ICPIndustries, p.Industries),
		compareDim("client_sizes", "client sizes", icp.ICPClientSizes, p.ClientSizes),
		compareDim("stages", "stages", icp.ICPStages, p.Stages),
		compareDim("regions", "regions", icp.ICPRegions, p.Regions),
	}
	res := FitResult{Dimensions: dims, OurPositioning: icp.Positioning, TheirPositioning: p.Positioning}
	// The score is the mean of shared_i/ours_i over the named dimensions,
	// in exact integer arithmetic: Σ shared_i·Π_{j≠i} ours_j / (n·Π ours_j).
	var n, prod int64 = 0, 1
	for _, d := range dims {
		if !d.Skipped {
			n++
			prod *= int64(len(d.Ours))
		}
	}
	if n > 0 {
		res.HasICP = true
		var num int64
		for _, d := range dims {
			if d.Skipped {
				continue
			}
			num += int64(len(d.Shared)) * (prod / int64(len(d.Ours)))
			if len(d.Shared) > 0 {
				res.Reasons = append(res.Reasons, "Shared "+d.Label+": "+strings.Join(d.Shared, ", "))
			} else if len(d.Theirs) == 0 {
				res.Reasons = append(res.Reasons, "No shared "+d.Label+" (they named none)")
			} else {
				res.Reasons = append(res.Reasons, "No shared "+d.Label)
			}
		}
		den := n * prod
		res.Score = int((100*num + den/2) / den)
	}
	ours, theirs := strings.ToLower(icp.Positioning), strings.ToLower(p.Positioning)
	if (ours == "premium" && theirs == "value") || (ours == "value" && theirs == "premium") {
		res.PositioningWarning = PositioningMismatchWarning
	}
	return res
}

// compareDim finds what of ours the partner also named.
func compareDim(key, label string, ours, theirs []string) FitDimension {
	d := FitDimension{Key: key, Label: label, Ours: uniqueFold(ours), Theirs: uniqueFold(theirs)}
	if len(d.Ours) == 0 {
		d.Skipped = true
		return d
	}
	have := make(map[string]bool, len(d.Theirs))
	for _, t := range d.Theirs {
		have[strings.ToLower(t)] = true
	}
	for _, o := range d.Ours {
		if have[strings.ToLower(o)] {
			d.Shared = append(d.Shared, o)
		}
	}
	d.Overlap = (200*len(d.Shared) + len(d.Ours)) / (2 * len(d.Ours))
	return d
}

// uniqueFold trims values and drops blanks and case-insensitive duplicates,
// keeping the first spelling and the order.
func uniqueFold(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		k := strings.ToLower(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}
