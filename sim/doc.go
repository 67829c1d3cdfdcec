// Package sim is a local platform that speaks the Apache OpenWhisk REST API:
// a test and benchmark instrument and a laptop sandbox.
//
// A Server listens on 127.0.0.1 with HTTP basic auth and serves actions
// (create, get, list, delete), invocations (blocking, non-blocking, result
// only), activation records (get, result, logs, list with paging) and the
// namespace's limits, with OpenWhisk's status codes, bodies and messages.
// Like a controller it describes itself at GET / (limits, and its runtime
// kinds by family with their images; see Kind) and GET /api/v1. Packages,
// triggers and rules are listed empty and refused on create (501).
//
// Actions have one of the server's kinds (Options.Kinds): go:1.NN kinds
// whose images the Go runtime builds, and blackbox. As the Go runtime's
// proxy does at /init, the server refuses to start a go action whose
// exec.env differs from its image's OW_EXECUTION_ENV: every activation
// fails with "Cannot start action" and the reason in its logs.
//
// Actions run in one of three modes. In "process" mode each warm container
// is a real process of the action's exec speaking the actionloop protocol
// of OpenWhisk's Go runtime; a cold start is a process start. In "proxy"
// mode each container is a process of Apache's own Go actionloop proxy
// (Options.Proxy), configured as the kind's image (OW_EXECUTION_ENV) and
// driven as an invoker drives it: /init with the action's zip on a cold
// start, then one /run at a time, its log guards stripped. In "inproc"
// mode the zip is only checked, and each activation calls worker.Handle in
// a goroutine with the invoke's parameters as the encoded worker.Request,
// which scales to tens of thousands of concurrent activations; containers
// are modelled by counts and a cold-start delay.
//
// The server models the namespace's concurrency and per-minute limits with
// OpenWhisk's 429 messages, API latency, cold starts, action timeouts and
// the result size limit, and injects faults from a seeded generator:
// crashes, 5xx answers, stragglers and lost activations. Stats counts what
// happened, so tests can check that a client coped.
package sim
