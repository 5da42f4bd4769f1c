package chart

import "math"

// Axis is a value axis with "nice" ticks: Min and Max are multiples of
// Step, and Step is 1, 2 or 5 times a power of ten (never below the unit's
// smallest step, so counts tick in whole numbers and money in whole
// dollars). Zero is always on the axis.
type Axis struct {
	Min, Max, Step int64
}

// maxIntervals bounds how many steps an axis has: four or five gaps read
// well at the sizes we draw.
const maxIntervals = 5

// NiceAxis returns the axis for data from lo to hi (in any order) in unit u.
// The axis always includes zero; an empty range (all values zero) gives
// 0 to 5 of the smallest step.
func NiceAxis(lo, hi int64, u Unit) Axis {
	if lo > hi {
		lo, hi = hi, lo
	}
	lo, hi = min(lo, 0), max(hi, 0)
	minStep := u.minStep()
	if lo == hi {
		return Axis{Min: 0, Max: maxIntervals * minStep, Step: minStep}
	}
	step := minStep
	// Walk 1, 2, 5, 10, 20, 50, … (times minStep) to the first step that
	// covers the span in at most maxIntervals gaps.
	for m := 0; ; m++ {
		base := []int64{1, 2, 5}[m%3]
		p := int64(1)
		for range m / 3 {
			p *= 10
		}
		s := base * p * minStep
		if s <= 0 || p > math.MaxInt64/100 { // overflow guard for absurd values
			break
		}
		step = s
		if intervals(lo, hi, s) <= maxIntervals {
			break
		}
	}
	return Axis{Min: floorTo(lo, step), Max: ceilTo(hi, step), Step: step}
}

func intervals(lo, hi, step int64) int64 {
	return (ceilTo(hi, step) - floorTo(lo, step)) / step
}

// floorTo rounds v down to a multiple of step (step > 0), negatives too.
func floorTo(v, step int64) int64 {
	q := v / step
	if v%step != 0 && v < 0 {
		q--
	}
	return q * step
}

// ceilTo rounds v up to a multiple of step (step > 0).
func ceilTo(v, step int64) int64 {
	q := v / step
	if v%step != 0 && v > 0 {
		q++
	}
	return q * step
}

// Ticks are the axis values from Min to Max, Step apart.
func (a Axis) Ticks() []int64 {
	if a.Step <= 0 {
		return nil
	}
	var t []int64
	for v := a.Min; v <= a.Max; v += a.Step {
		t = append(t, v)
	}
	return t
}

// Scale maps a value on the axis to a coordinate: Min to from, Max to to
// (from > to for a vertical axis, whose y grows downwards).
func (a Axis) Scale(v int64, from, to float64) float64 {
	if a.Max == a.Min {
		return from
	}
	f := float64(v-a.Min) / float64(a.Max-a.Min)
	return from + f*(to-from)
}

// dataRange is the smallest and largest valid value of every series, the
// goal and the fixed Max; ok is false when there is no valid value.
func (c Chart) dataRange() (lo, hi int64, ok bool) {
	see := func(v int64) {
		if !ok {
			lo, hi, ok = v, v, true
			return
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	for _, s := range c.Series {
		for i := range c.Labels {
			if v, valid := s.At(i); valid {
				see(v)
			}
		}
	}
	if c.Goal != nil {
		see(*c.Goal)
	}
	if c.Max != 0 {
		see(c.Max)
	}
	return lo, hi, ok
}

// axis is the chart's value axis.
func (c Chart) axis() Axis {
	lo, hi, _ := c.dataRange()
	return NiceAxis(lo, hi, c.Unit)
}
