module github.com/go-lambda-conformance/shims/node-proxy/sidecar

go 1.26

require github.com/go-lambda-conformance/go-handlers v0.0.0

require github.com/aws/aws-lambda-go v1.55.1 // indirect

replace github.com/go-lambda-conformance/go-handlers => ../../../go-handlers
