module github.com/go-lambda-conformance/shims/go1x-rpc/host

go 1.26

require github.com/aws/aws-lambda-go v1.55.1
