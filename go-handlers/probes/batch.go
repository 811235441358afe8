package probes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

const (
	failMarkerEnv = "PROBE_FAIL_MARKER"
	failModeEnv   = "PROBE_FAIL_MODE"
)

// batchProbe handles an SQS, Kinesis or DynamoDB Streams batch: each record
// whose body (SQS), decoded data (Kinesis) or attribute values (DynamoDB)
// contain PROBE_FAIL_MARKER fails. With PROBE_FAIL_MODE "partial" (the
// default) the failures go back as a partial batch response; with "error"
// any failure fails the whole invoke.
func batchProbe(_ context.Context, payload []byte) ([]byte, error) {
	kind, err := eventKind("batch", payload, "sqs", "kinesis", "dynamodb")
	if err != nil {
		return nil, err
	}
	mode := os.Getenv(failModeEnv)
	if mode != "" && mode != "partial" && mode != "error" {
		return nil, fmt.Errorf("probe: batch: %s must be partial or error, got %q", failModeEnv, mode)
	}
	marker := []byte(os.Getenv(failMarkerEnv))
	marked := func(b []byte) bool { return len(marker) > 0 && bytes.Contains(b, marker) }

	// Lenient decode: a batch is handled whatever extra fields it carries.
	ev := newEvent(kind)
	if err := unmarshalLenient(payload, ev); err != nil {
		return nil, fmt.Errorf("probe: batch: invalid %s event: %w", kind, err)
	}

	var failed []string
	handled := 0
	record := func(id string, fail bool) {
		status := "ok"
		if fail {
			status = "failed"
			failed = append(failed, id)
		}
		writeRecordLine(kind, id, status)
		handled++
		crashOnceMidBatch(handled)
	}
	switch ev := ev.(type) {
	case *events.SQSEvent:
		for _, r := range ev.Records {
			record(r.MessageId, marked([]byte(r.Body)))
		}
	case *events.KinesisEvent:
		for _, r := range ev.Records {
			record(r.Kinesis.SequenceNumber, marked(r.Kinesis.Data))
		}
	case *events.DynamoDBEvent:
		for _, r := range ev.Records {
			c := r.Change
			record(c.SequenceNumber, imageMarked(c.Keys, marked) || imageMarked(c.NewImage, marked) || imageMarked(c.OldImage, marked))
		}
	}

	if mode == "error" && len(failed) > 0 {
		return nil, errors.New("probe: batch failed: " + strings.Join(failed, ", "))
	}
	if mode == "error" {
		failed = nil
	}
	switch kind {
	case "sqs":
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, id := range failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		return json.Marshal(resp)
	case "kinesis":
		resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
		for _, id := range failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: id})
		}
		return json.Marshal(resp)
	default:
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, id := range failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
		}
		return json.Marshal(resp)
	}
}

// imageMarked reports whether any value in a DynamoDB image (strings,
// numbers as spelt, binary bytes, set members, nested lists and maps)
// is marked.
func imageMarked(image map[string]events.DynamoDBAttributeValue, marked func([]byte) bool) bool {
	for _, av := range image {
		if attributeMarked(av, marked) {
			return true
		}
	}
	return false
}

func attributeMarked(av events.DynamoDBAttributeValue, marked func([]byte) bool) bool {
	switch av.DataType() {
	case events.DataTypeString:
		return marked([]byte(av.String()))
	case events.DataTypeNumber:
		return marked([]byte(av.Number()))
	case events.DataTypeBinary:
		return marked(av.Binary())
	case events.DataTypeStringSet:
		return anyMarked(av.StringSet(), marked)
	case events.DataTypeNumberSet:
		return anyMarked(av.NumberSet(), marked)
	case events.DataTypeBinarySet:
		for _, b := range av.BinarySet() {
			if marked(b) {
				return true
			}
		}
	case events.DataTypeList:
		for _, e := range av.List() {
			if attributeMarked(e, marked) {
				return true
			}
		}
	case events.DataTypeMap:
		return imageMarked(av.Map(), marked)
	}
	return false
}

func anyMarked(ss []string, marked func([]byte) bool) bool {
	for _, s := range ss {
		if marked([]byte(s)) {
			return true
		}
	}
	return false
}

// crashOnceEnv names a file: the first batch that reaches its second record while the file does not exist
// creates it and kills the process mid-batch (exit 137, as a SIGKILL would), so suites can check that the
// platform retries the whole batch and loses no record. The file lives outside the sandbox (e.g. /var/tmp),
// so the retry, in a new execution environment, sees it and goes through.
const crashOnceEnv = "PROBE_CRASH_ONCE_FILE"

func crashOnceMidBatch(handled int) {
	path := os.Getenv(crashOnceEnv)
	if path == "" || handled != 2 {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return // already crashed once (or cannot tell): carry on
	}
	_ = f.Close()
	_, _ = os.Stderr.Write([]byte("probe: crashing mid-batch (" + crashOnceEnv + ")\n"))
	os.Exit(137)
}
