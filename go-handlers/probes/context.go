package probes

import (
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// traceIDKey is the plain string context key under which aws-lambda-go stores
// the X-Ray trace header (lambda/invoke_loop.go, lambda/rpc_function.go).
const traceIDKey = "x-amzn-trace-id"

// contextProbe reports everything a Go function can learn about the invoke and
// its environment, to check what the shim passes through (request id, ARN,
// Cognito identity, client context, trace id, lambdacontext globals, env).
func contextProbe(ctx context.Context, _ []byte) ([]byte, error) {
	type identity struct {
		CognitoIdentityID     string `json:"cognitoIdentityId"`
		CognitoIdentityPoolID string `json:"cognitoIdentityPoolId"`
	}
	type client struct {
		InstallationID string `json:"installationId"`
		AppTitle       string `json:"appTitle"`
		AppVersionCode string `json:"appVersionCode"`
		AppPackageName string `json:"appPackageName"`
	}
	type clientContext struct {
		Client client            `json:"client"`
		Env    map[string]string `json:"env"`    // null when the library left it nil
		Custom map[string]string `json:"custom"` // likewise
	}
	type lambdaContext struct {
		AwsRequestID       string        `json:"awsRequestId"`
		InvokedFunctionArn string        `json:"invokedFunctionArn"`
		Identity           identity      `json:"identity"`
		ClientContext      clientContext `json:"clientContext"`
	}
	type globals struct {
		FunctionName    string `json:"functionName"`
		FunctionVersion string `json:"functionVersion"`
		MemoryLimitInMB int    `json:"memoryLimitInMB"`
		LogGroupName    string `json:"logGroupName"`
		LogStreamName   string `json:"logStreamName"`
	}
	var r struct {
		LambdaContext      *lambdaContext    `json:"lambdaContext"`
		TraceIDFromContext string            `json:"traceIdFromContext"`
		Globals            globals           `json:"globals"`
		Env                map[string]string `json:"env"`
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
		cc := lc.ClientContext
		r.LambdaContext = &lambdaContext{
			AwsRequestID:       lc.AwsRequestID,
			InvokedFunctionArn: lc.InvokedFunctionArn,
			Identity: identity{
				CognitoIdentityID:     lc.Identity.CognitoIdentityID,
				CognitoIdentityPoolID: lc.Identity.CognitoIdentityPoolID,
			},
			ClientContext: clientContext{
				Client: client{
					InstallationID: cc.Client.InstallationID,
					AppTitle:       cc.Client.AppTitle,
					AppVersionCode: cc.Client.AppVersionCode,
					AppPackageName: cc.Client.AppPackageName,
				},
				Env:    cc.Env,
				Custom: cc.Custom,
			},
		}
	}
	r.TraceIDFromContext, _ = ctx.Value(traceIDKey).(string)
	r.Globals = globals{
		FunctionName:    lambdacontext.FunctionName,
		FunctionVersion: lambdacontext.FunctionVersion,
		MemoryLimitInMB: lambdacontext.MemoryLimitInMB,
		LogGroupName:    lambdacontext.LogGroupName,
		LogStreamName:   lambdacontext.LogStreamName,
	}
	r.Env = environ()
	return json.Marshal(r)
}

// environ returns the process environment as a map (the first '=' splits).
func environ() map[string]string {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}
