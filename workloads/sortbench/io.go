package sortbench

import "time"

// IO counts the storage requests and bytes of a sort, as its code issues
// them (a store may split a large write into several requests: S3
// multipart uploads do, in parts of 5 MiB by default). Tasks report their
// own successful attempt's; failed and losing attempts are not counted.
type IO struct {
	Gets    int64 `json:"gets"`
	Puts    int64 `json:"puts"`
	Lists   int64 `json:"lists"`
	Deletes int64 `json:"deletes"`
	Read    int64 `json:"bytes_read"`
	Written int64 `json:"bytes_written"`
	// Seconds is the time spent waiting on these requests, summed over
	// tasks.
	Seconds float64 `json:"seconds"`
}

// Add adds o's counts to c.
func (c *IO) Add(o IO) {
	c.Gets += o.Gets
	c.Puts += o.Puts
	c.Lists += o.Lists
	c.Deletes += o.Deletes
	c.Read += o.Read
	c.Written += o.Written
	c.Seconds += o.Seconds
}

// Requests is the total number of requests.
func (c IO) Requests() int64 { return c.Gets + c.Puts + c.Lists + c.Deletes }

// since adds the time since start to c.Seconds.
func (c *IO) since(start time.Time) { c.Seconds += time.Since(start).Seconds() }
