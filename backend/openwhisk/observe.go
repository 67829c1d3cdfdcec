package openwhisk

import (
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// observer holds the driver.Observer the collector and the poller report
// their requests to, once the portable backend has set it.
type observer struct {
	p atomic.Pointer[driver.Observer]
}

// request reports a request made on the driver's own behalf. A 404 of an
// activation not recorded yet is an answer too.
func (o *observer) request(sent time.Time, err error) {
	if p := o.p.Load(); p != nil {
		(*p).Request(sent, err)
	}
}

// Observe sets the Observer that learns whether the platform answers the
// collector's listings and the poller's requests (driver.Observed).
func (d *Driver) Observe(o driver.Observer) {
	d.obs.p.Store(&o)
}

var _ driver.Observed = (*Driver)(nil)
