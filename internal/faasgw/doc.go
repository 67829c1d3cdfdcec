// Package faasgw holds stand-ins for the HTTP front ends of two function
// platforms whose own components are not available here, written from
// their documented behaviour, as real HTTP servers for tests on 127.0.0.1.
// Behind both run real function instances: worker processes of the
// overcast binary ("overcast worker serve --addr 127.0.0.1:P", see
// Process), or in-process handlers for tests of the stand-ins themselves.
//
// Knative is a Knative Serving revision behind its activator and
// queue-proxy. It starts no instance until a request comes (scale from
// zero); while none is ready it either holds requests until one is, and
// answers 503 when none is within the activation timeout (Buffer, what
// Knative's activator does), or answers 503 with Retry-After at once
// (Reject, the 503-while-scaling a client must retry). Each instance has
// a queue-proxy that enforces containerConcurrency: requests above it
// wait in a queue ten times as deep and are answered 503 when it is full.
// A request with no answer within the revision's timeout (300 s unless
// set, at most 600 s) is answered 504. Requests reach the instance with
// their path unchanged: the worker's POST /invoke is POST /invoke on the
// service's URL.
//
// OpenFaaS is an OpenFaaS gateway with its queue-worker. The watchdog in
// a function's container forwards the request path to the function's
// server, and the gateway passes what follows the function's name, so
// the worker's POST /invoke is POST /function/NAME/invoke (synchronous)
// or POST /async-function/NAME/invoke (asynchronous). An asynchronous
// call is answered 202 Accepted with an X-Call-Id; the queue-worker later
// calls the function and POSTs its answer to the URL in the request's
// X-Callback-Url header, with the function's headers, X-Call-Id,
// X-Function-Status (503 when the function could not be reached) and
// X-Duration-Seconds. The queue-worker neither retries a callback nor
// keeps a result: a callback that fails is lost. Basic auth, when set,
// protects only the gateway's /system/ API, as in OpenFaaS; functions
// check their own callers (the worker's bearer token passes through).
package faasgw
