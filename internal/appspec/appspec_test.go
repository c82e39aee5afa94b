package appspec

import (
	"testing"
	"time"
)

func TestMemoryIsTheSmallestSizeWhoseCPUShareKeepsUpWithTheWait(t *testing.T) {
	for _, c := range []struct {
		name string
		work Work
		want int
	}{
		{"an order: 2.7 ms of CPU, two round trips", Work{CPU: 2700 * time.Microsecond, Requests: 2}, 512},
		{"waiting on a provider", Work{CPU: 3 * time.Millisecond, Requests: 2, Remote: RemoteLatency}, 128},
		{"little CPU", Work{CPU: 300 * time.Microsecond, Requests: 1}, 128},
		{"more CPU than any share keeps up with", Work{CPU: 50 * time.Millisecond, Requests: 1}, 1769},
	} {
		if got := MemoryFor(c.work); got != c.want {
			t.Errorf("%s: %d MB, want %d", c.name, got, c.want)
		}
	}
}
