package share

import (
	"slices"
	"testing"
)

// The names disable: accepts are the built-ins, in the order applied.
func TestBuiltinNames(t *testing.T) {
	in, err := newInternalSet(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range builtins(in) {
		names = append(names, r.name)
	}
	if !slices.Equal(names, builtinNames) {
		t.Errorf("builtins() = %v\nbuiltinNames = %v", names, builtinNames)
	}
}

func TestValidResidentID(t *testing.T) {
	for s, want := range map[string]bool{
		"11010519491231002X": true,
		"11010519491231002x": true,
		"110105194912310021": false, // check character
		"110105194913310028": false, // month 13
		"110105180012310021": false, // year 1800
		"1101051949123100":   false, // length
	} {
		if got := validResidentID(s); got != want {
			t.Errorf("validResidentID(%s) = %v, want %v", s, got, want)
		}
	}
}
