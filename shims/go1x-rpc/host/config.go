package main

import (
	"path/filepath"
	"strings"
)

// Toggle variables. Each one switches the host from its default (the best-supported reading of what AWS's go1.x
// host did) to a documented alternative; README.md gives the source for every default.
const (
	// envExitOnShouldExit: after a reply whose error has ShouldExit set (aws-lambda-go sets it on a recovered
	// handler panic), kill the user process and start a new one before the next invoke. Default: ignore the flag,
	// as lambci's go1.x mock does.
	envExitOnShouldExit = "GO1X_EXIT_ON_SHOULD_EXIT"
	// envLambciErrors: render errors the way lambci/docker-lambda's go1.x mock does (frames as "path:line label"
	// strings, errorType omitted when empty, a dead user process as errorType "exitError" with
	// "RequestId: <id> Error: <rpc error>").
	envLambciErrors = "GO1X_LAMBCI_ERRORS"
	// envHideRuntimeAPI: do not pass AWS_LAMBDA_RUNTIME_API to the user process (the 2018 go1.x environment had
	// no Runtime API). Default: pass it, as the late go1.x runtime did (aws-lambda-go PR #298, #501).
	envHideRuntimeAPI = "GO1X_HIDE_RUNTIME_API"
	// envExecutionEnv: also set AWS_EXECUTION_ENV=AWS_Lambda_go1.x for the user process.
	envExecutionEnv = "GO1X_EXECUTION_ENV"
	// envOwnProcessGroup: start the user process in its own process group (Setpgid), as go1.x and lambci did.
	// Off by default: the embedded target's sandbox is one process group, and a child outside it escapes the
	// freeze, the memory limit and the kill on timeout (README.md, "Process group").
	envOwnProcessGroup = "GO1X_OWN_PROCESS_GROUP"
)

// defaultHandler is the executable name go1.x functions used as their Handler setting.
const defaultHandler = "main"

type config struct {
	// handlerPath is the user executable: $LAMBDA_TASK_ROOT/$_HANDLER.
	handlerPath      string
	exitOnShouldExit bool
	lambciErrors     bool
	hideRuntimeAPI   bool
	executionEnv     bool
	ownProcessGroup  bool
}

func configFromEnv(getenv func(string) string) config {
	root := getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		root = "/var/task"
	}
	handler := getenv("_HANDLER")
	if handler == "" {
		handler = defaultHandler
	}
	return config{
		handlerPath:      filepath.Join(root, handler),
		exitOnShouldExit: isOn(getenv(envExitOnShouldExit)),
		lambciErrors:     isOn(getenv(envLambciErrors)),
		hideRuntimeAPI:   isOn(getenv(envHideRuntimeAPI)),
		executionEnv:     isOn(getenv(envExecutionEnv)),
		ownProcessGroup:  isOn(getenv(envOwnProcessGroup)),
	}
}

// isOn reads a toggle: 1, true, yes or on (any case) switch it on; anything else leaves it off.
func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// childEnv is the user process's environment: the host's own (the function's environment as the platform gave
// it), plus _LAMBDA_SERVER_PORT and the credential aliases go1.x exported (lambci base/dump-go1x/dump-go1x.go,
// the 2018 environment dump; go1.x/run/aws-lambda-mock.go).
func childEnv(hostEnv []string, port string, cfg config) []string {
	get := func(k string) string {
		for i := len(hostEnv) - 1; i >= 0; i-- {
			if name, v, ok := strings.Cut(hostEnv[i], "="); ok && name == k {
				return v
			}
		}
		return ""
	}
	added := map[string]string{"_LAMBDA_SERVER_PORT": port}
	if v := get("AWS_ACCESS_KEY_ID"); v != "" {
		added["AWS_ACCESS_KEY"] = v
	}
	if v := get("AWS_SECRET_ACCESS_KEY"); v != "" {
		added["AWS_SECRET_KEY"] = v
	}
	if v := get("AWS_SESSION_TOKEN"); v != "" {
		added["AWS_SECURITY_TOKEN"] = v
	}
	if cfg.executionEnv {
		added["AWS_EXECUTION_ENV"] = "AWS_Lambda_go1.x"
	}
	env := make([]string, 0, len(hostEnv)+len(added))
	for _, kv := range hostEnv {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := added[name]; replaced {
			continue
		}
		if cfg.hideRuntimeAPI && name == "AWS_LAMBDA_RUNTIME_API" {
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"_LAMBDA_SERVER_PORT", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SECURITY_TOKEN", "AWS_EXECUTION_ENV"} {
		if v, ok := added[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
