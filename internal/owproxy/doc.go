// Package owproxy runs Apache OpenWhisk's own Go actionloop proxy (the
// program inside every openwhisk/action-golang-v1.NN image) as a peer: it
// builds the proxy from the copy of apache/openwhisk-runtime-go beside the
// repository (../shared/openwhisk/runtime-go, or OVERCAST_OW_RUNTIME_GO),
// starts it on a loopback port configured as an image configures it, and
// speaks /init and /run to it as the invoker does.
//
// The sim's proxy containers and the tests that replay the deployed zip
// under the real runtime use it.
package owproxy
