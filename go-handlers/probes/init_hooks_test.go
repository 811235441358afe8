package probes

import (
	"reflect"
	"testing"
)

func TestParseInitHooks(t *testing.T) {
	tests := []struct {
		spec string
		want []initHook
	}{
		{"", nil},
		{" , ,", nil},
		{"log", []initHook{{name: "log"}}},
		{"log, sleep:250 ,exit:3,panic", []initHook{{name: "log"}, {name: "sleep", n: 250}, {name: "exit", n: 3}, {name: "panic"}}},
		{"sleep:0.5,exit:0", []initHook{{name: "sleep", n: 0.5}, {name: "exit", n: 0}}},
	}
	for _, tt := range tests {
		got, err := parseInitHooks(tt.spec)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseInitHooks(%q) = %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
	for _, bad := range []string{"bogus", "log:1", "sleep", "sleep:", "sleep:x", "sleep:-1", "exit", "exit:1.5", "panic:now", "log,bogus"} {
		if got, err := parseInitHooks(bad); err == nil {
			t.Errorf("parseInitHooks(%q) = %v, want an error", bad, got)
		}
	}
}
