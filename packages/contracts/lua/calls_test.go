package dealscripts

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"
)

// The Go calls against the same table the TypeScript builders are tested with
// (testdata/calls.json, packages/contracts/test/deal-calls.test.ts).
func TestCallsAgreeWithTheContract(t *testing.T) {
	raw, err := os.ReadFile("testdata/calls.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Deal struct {
			DealID           string
			Stock, Price     int32
			PerUserLimit     int32
			StartsAt, EndsAt time.Time
			ProductID        string
		}
		Calls    map[string]struct{ Keys, Args []string }
		Registry struct{ Key string }
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	f := fixture.Deal
	deal := Deal{ID: f.DealID, Stock: f.Stock, Price: f.Price, PerUserLimit: f.PerUserLimit,
		StartsAt: f.StartsAt, EndsAt: f.EndsAt, ProductID: f.ProductID}
	for name, call := range map[string]Call{"publish-deal": PublishDeal(deal), "reschedule-deal": RescheduleDeal(deal)} {
		want := fixture.Calls[name]
		args := make([]string, len(call.Args))
		for i, arg := range call.Args {
			args[i] = fmt.Sprint(arg)
		}
		if !reflect.DeepEqual(call.Keys, want.Keys) || !reflect.DeepEqual(args, want.Args) {
			t.Errorf("%s: KEYS %v ARGV %v, the contract says KEYS %v ARGV %v", name, call.Keys, args, want.Keys, want.Args)
		}
	}
	if OutboxRegistryKey != fixture.Registry.Key {
		t.Errorf("registry key %q, the contract says %q", OutboxRegistryKey, fixture.Registry.Key)
	}
}
