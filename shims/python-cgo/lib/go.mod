module github.com/go-lambda-conformance/shims/python-cgo/lib

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/go-lambda-conformance/go-handlers v0.0.0
)

replace github.com/go-lambda-conformance/go-handlers => ../../../go-handlers
