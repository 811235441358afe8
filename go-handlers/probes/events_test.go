package probes

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The samples in testdata/ are aws-lambda-go's own (see testdata/README.md).

func readSample(t *testing.T, kind string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + kind + "-event.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editSample decodes a sample into generic JSON, lets edit change it and
// encodes it again.
func editSample(t *testing.T, kind string, edit func(ev map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readSample(t, kind), &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func record(ev map[string]any, i int) map[string]any {
	return ev["Records"].([]any)[i].(map[string]any)
}

// captureStdout runs fn with os.Stdout sent to a file and returns what it
// wrote. Tests in this package do not run in parallel.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()
	fn()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// invokeCapture invokes a probe with PROBE_EVENT_KIND=kind ("" to unset)
// and returns its result, error and stdout.
func invokeCapture(t *testing.T, probe, kind string, payload []byte) (out []byte, err error, stdout string) {
	t.Helper()
	t.Setenv(eventKindEnv, kind)
	stdout = captureStdout(t, func() { out, err = Invoke(context.Background(), probe, payload) })
	if probe == "event-shape" && err == nil {
		// The result is also logged as the last line (triggers discard results); check it and strip it.
		var r eventShapeResult
		_ = json.Unmarshal(out, &r)
		shape := "probe-shape " + r.Kind + " " + string(out) + "\n"
		if !strings.HasSuffix(stdout, shape) {
			t.Fatalf("event-shape did not log its result as %q; stdout %q", shape, stdout)
		}
		stdout = strings.TrimSuffix(stdout, shape)
	}
	return out, err, stdout
}

func eventShape(t *testing.T, kind string, payload []byte) (eventShapeResult, string) {
	t.Helper()
	out, err, stdout := invokeCapture(t, "event-shape", kind, payload)
	if err != nil {
		t.Fatalf("event-shape %s: %v", kind, err)
	}
	var r eventShapeResult
	mustUnmarshalStrict(t, out, &r)
	if r.UnknownFields == nil || r.MissingFields == nil || r.IDs == nil {
		t.Errorf("event-shape %s: null list in %s", kind, out)
	}
	return r, stdout
}

func TestEventShapeSamples(t *testing.T) {
	want := map[string]string{
		"sqs":      `{"kind":"sqs","records":1,"decodeError":"","unknownFields":[],"missingFields":[],"ids":["MessageID_1"]}`,
		"kinesis":  `{"kind":"kinesis","records":2,"decodeError":"","unknownFields":[],"missingFields":[],"ids":["shardId-000000000000:49568167373333333333333333333333333333333333333333333333","shardId-000000000000:49568167373333333334444444444444444444444444444444444444"]}`,
		"dynamodb": `{"kind":"dynamodb","records":2,"decodeError":"","unknownFields":[],"missingFields":[],"ids":["f07f8ca4b0b26cb9c4e5e77e69f274ee","f07f8ca4b0b26cb9c4e5e77e42f274ee"]}`,
		"sns":      `{"kind":"sns","records":1,"decodeError":"","unknownFields":[],"missingFields":[],"ids":["95df01b4-ee98-5cb9-9903-4c221d41eb5e"]}`,
	}
	for kind, w := range want {
		// With PROBE_EVENT_KIND, and detected from eventSource without it.
		for _, env := range []string{kind, ""} {
			out, err, stdout := invokeCapture(t, "event-shape", env, readSample(t, kind))
			if err != nil || string(out) != w {
				t.Errorf("event-shape %s (env %q) = %s, %v\nwant %s", kind, env, out, err, w)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			var r eventShapeResult
			_ = json.Unmarshal(out, &r)
			if len(lines) != len(r.IDs) {
				t.Fatalf("event-shape %s logged %q", kind, stdout)
			}
			for i, line := range lines {
				prefix := "probe-record " + kind + " " + r.IDs[i] + " {"
				if !strings.HasPrefix(line, prefix) || !json.Valid([]byte(strings.TrimPrefix(line, prefix[:len(prefix)-1]))) {
					t.Errorf("event-shape %s line %d = %q", kind, i, line)
				}
			}
		}
	}
}

func TestEventShapeRecordLines(t *testing.T) {
	_, stdout := eventShape(t, "sns", readSample(t, "sns"))
	if want := `probe-record sns 95df01b4-ee98-5cb9-9903-4c221d41eb5e {"Subject":"TestInvoke","Message":"Hello from SNS!","MessageAttributes":{"Test":{"Type":"String","Value":"TestString"},"TestBinary":{"Type":"Binary","Value":"TestBinary"}}}` + "\n"; stdout != want {
		t.Errorf("sns lines:\n%s\nwant\n%s", stdout, want)
	}
	_, stdout = eventShape(t, "dynamodb", readSample(t, "dynamodb"))
	want := `probe-record dynamodb f07f8ca4b0b26cb9c4e5e77e69f274ee {"eventName":"INSERT","Keys":{"key":{"S":"binary"},"val":{"S":"data"}},"NewImage":{"asdf1":"B","asdf2":"BS","key":"S","val":"S"}}` + "\n" +
		`probe-record dynamodb f07f8ca4b0b26cb9c4e5e77e42f274ee {"eventName":"INSERT","Keys":{"key":{"S":"binary"},"val":{"S":"data"}},"NewImage":{"Binary":"B","BinarySet":"BS","Boolean":"BOOL","EmptyStringSet":"SS","FloatNumber":"N","IntegerNumber":"N","List":{"L":["S","S","N"]},"Map":{"M":{"Age":"N","Name":"S"}},"Null":"NULL","NumberSet":"NS","String":"S","StringSet":"SS","asdf1":"B","asdf2":"BS","b2":"B","key":"S","val":"S"}}` + "\n"
	if stdout != want {
		t.Errorf("dynamodb lines:\n%s\nwant\n%s", stdout, want)
	}
	// Kinesis data: JSON embedded as JSON, anything else as a string.
	payload := editSample(t, "kinesis", func(ev map[string]any) {
		record(ev, 1)["kinesis"].(map[string]any)["data"] = base64.StdEncoding.EncodeToString([]byte(`{"n": 1, "s":"x"}`))
	})
	_, stdout = eventShape(t, "kinesis", payload)
	want = `probe-record kinesis shardId-000000000000:49568167373333333333333333333333333333333333333333333333 {"partitionKey":"s1","sequenceNumber":"49568167373333333333333333333333333333333333333333333333","dataIsJson":false,"data":"Hello World"}` + "\n" +
		`probe-record kinesis shardId-000000000000:49568167373333333334444444444444444444444444444444444444 {"partitionKey":"s1","sequenceNumber":"49568167373333333334444444444444444444444444444444444444","dataIsJson":true,"data":{"n":1,"s":"x"}}` + "\n"
	if stdout != want {
		t.Errorf("kinesis lines:\n%s\nwant\n%s", stdout, want)
	}
}

func TestEventShapeUnknownFields(t *testing.T) {
	tests := []struct {
		kind    string
		edit    func(ev map[string]any)
		unknown []string
	}{
		{"sqs", func(ev map[string]any) {
			record(ev, 0)["extraField"] = 1
			record(ev, 0)["messageAttributes"].(map[string]any)["Attribute1"].(map[string]any)["extra"] = "x"
		}, []string{"Records[].extraField", "Records[].messageAttributes.*.extra"}},
		{"kinesis", func(ev map[string]any) {
			record(ev, 1)["kinesis"].(map[string]any)["extra"] = true
		}, []string{"Records[].kinesis.extra"}},
		{"dynamodb", func(ev map[string]any) {
			record(ev, 0)["dynamodb"].(map[string]any)["Extra"] = nil
			record(ev, 0)["userIdentity"].(map[string]any)["extra"] = 1
		}, []string{"Records[].dynamodb.Extra", "Records[].userIdentity.extra"}},
		{"sns", func(ev map[string]any) {
			ev["extraTop"] = 1
			record(ev, 0)["Sns"].(map[string]any)["Extra"] = "x"
		}, []string{"Records[].Sns.Extra", "extraTop"}},
	}
	for _, tt := range tests {
		r, _ := eventShape(t, tt.kind, editSample(t, tt.kind, tt.edit))
		if !reflect.DeepEqual(r.UnknownFields, tt.unknown) || len(r.MissingFields) != 0 {
			t.Errorf("%s: unknown %v missing %v, want unknown %v", tt.kind, r.UnknownFields, r.MissingFields, tt.unknown)
		}
		if !strings.HasPrefix(r.DecodeError, "json: unknown field ") {
			t.Errorf("%s: decodeError %q", tt.kind, r.DecodeError)
		}
		if r.Records == 0 || len(r.IDs) != r.Records {
			t.Errorf("%s: records %d ids %v", tt.kind, r.Records, r.IDs)
		}
	}
}

func TestEventShapeMissingFields(t *testing.T) {
	tests := []struct {
		kind    string
		edit    func(ev map[string]any)
		missing []string
	}{
		{"sqs", func(ev map[string]any) {
			delete(record(ev, 0), "receiptHandle")
			delete(record(ev, 0), "md5OfMessageAttributes")
			delete(record(ev, 0)["messageAttributes"].(map[string]any)["Attribute2"].(map[string]any), "stringListValues")
			// omitempty: not reported
			delete(record(ev, 0)["messageAttributes"].(map[string]any)["Attribute2"].(map[string]any), "stringValue")
		}, []string{"Records[].md5OfMessageAttributes", "Records[].messageAttributes.*.stringListValues", "Records[].receiptHandle"}},
		{"kinesis", func(ev map[string]any) {
			delete(record(ev, 0)["kinesis"].(map[string]any), "approximateArrivalTimestamp")
			delete(record(ev, 1), "invokeIdentityArn")
		}, []string{"Records[].invokeIdentityArn", "Records[].kinesis.approximateArrivalTimestamp"}},
		{"dynamodb", func(ev map[string]any) {
			// Keys, NewImage, ApproximateCreationDateTime and userIdentity
			// are omitempty; SizeBytes is not.
			ddb := record(ev, 1)["dynamodb"].(map[string]any)
			delete(ddb, "Keys")
			delete(ddb, "NewImage")
			delete(ddb, "ApproximateCreationDateTime")
			delete(ddb, "SizeBytes")
			delete(record(ev, 0), "userIdentity")
		}, []string{"Records[].dynamodb.SizeBytes"}},
		{"sns", func(ev map[string]any) {
			delete(record(ev, 0)["Sns"].(map[string]any), "Subject")
			delete(record(ev, 0), "EventSubscriptionArn")
		}, []string{"Records[].EventSubscriptionArn", "Records[].Sns.Subject"}},
	}
	for _, tt := range tests {
		r, _ := eventShape(t, tt.kind, editSample(t, tt.kind, tt.edit))
		if !reflect.DeepEqual(r.MissingFields, tt.missing) || len(r.UnknownFields) != 0 || r.DecodeError != "" {
			t.Errorf("%s: missing %v unknown %v decodeError %q, want missing %v", tt.kind, r.MissingFields, r.UnknownFields, r.DecodeError, tt.missing)
		}
	}
	// A null counts as present (AWS sends "Subject": null for SNS).
	r, _ := eventShape(t, "sns", editSample(t, "sns", func(ev map[string]any) {
		record(ev, 0)["Sns"].(map[string]any)["Subject"] = nil
		record(ev, 0)["Sns"].(map[string]any)["MessageAttributes"] = map[string]any{}
	}))
	if len(r.MissingFields) != 0 || len(r.UnknownFields) != 0 || r.DecodeError != "" {
		t.Errorf("sns with null Subject: %+v", r)
	}
}

// encoding/json matches keys case-insensitively, so the strict decode accepts
// a wrongly cased key; the field comparison does not.
func TestEventShapeKeyCase(t *testing.T) {
	payload := editSample(t, "sqs", func(ev map[string]any) {
		rec := record(ev, 0)
		rec["messageID"] = rec["messageId"]
		delete(rec, "messageId")
	})
	r, _ := eventShape(t, "sqs", payload)
	if r.DecodeError != "" || !reflect.DeepEqual(r.UnknownFields, []string{"Records[].messageID"}) ||
		!reflect.DeepEqual(r.MissingFields, []string{"Records[].messageId"}) || !reflect.DeepEqual(r.IDs, []string{"MessageID_1"}) {
		t.Errorf("messageID: %+v", r)
	}
}

func TestEventShapeDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		kind, payload, decodeError string
	}{
		{"kinesis", string(editSample(t, "kinesis", func(ev map[string]any) {
			record(ev, 0)["kinesis"].(map[string]any)["data"] = "not base64!"
		})), "illegal base64 data at input byte 3"},
		{"dynamodb", `{"Records":[{"dynamodb":{"Keys":{"k":{"S":"a","N":"1"}}}}]}`, "DynamoDBAttributeValue: map must contain a single type"},
		{"dynamodb", `{"Records":[{"dynamodb":{"Keys":{"k":{"X":"a"}}}}]}`, "unsupported DynamoDB attribute type, X"},
		{"sns", `{"Records":[{"Sns":{"Timestamp":"2015-06-03 17:43:27"}}]}`, `parsing time "2015-06-03 17:43:27" as "2006-01-02T15:04:05Z07:00": cannot parse " 17:43:27" as "T"`},
		// aws-lambda-go's decoder panics on a non-string BS element.
		{"dynamodb", `{"Records":[{"dynamodb":{"Keys":{"k":{"BS":[1]}}}}]}`, "panic while decoding: interface conversion: interface {} is float64, not string"},
		// ... and accepts any value for NULL.
		{"dynamodb", `{"Records":[{"dynamodb":{"Keys":{"k":{"NULL":false}}}}]}`, ""},
		{"sqs", `{"Records":[]} {}`, "trailing data after the event"},
		{"sqs", `[1]`, "json: cannot unmarshal array into Go value of type events.SQSEvent"},
	} {
		r, _ := eventShape(t, tt.kind, []byte(tt.payload))
		if r.DecodeError != tt.decodeError {
			t.Errorf("%s %.60s: decodeError %q, want %q", tt.kind, tt.payload, r.DecodeError, tt.decodeError)
		}
	}
}

func TestEventShapeBadKind(t *testing.T) {
	for _, tt := range []struct{ probe, env, payload, msg string }{
		{"event-shape", "s3", `{}`, `probe: event-shape: unsupported event kind "s3" (PROBE_EVENT_KIND must be one of sqs, kinesis, dynamodb, sns)`},
		{"event-shape", "", `{"Records":[{"eventSource":"aws:s3"}]}`, `probe: event-shape: PROBE_EVENT_KIND is not set and the event's first record names no known eventSource`},
		{"event-shape", "", `{"Records":[]}`, `probe: event-shape: PROBE_EVENT_KIND is not set and the event's first record names no known eventSource`},
		{"batch", "sns", `{}`, `probe: batch: unsupported event kind "sns" (PROBE_EVENT_KIND must be one of sqs, kinesis, dynamodb)`},
		{"batch", "", string(readSample(t, "sns")), `probe: batch: unsupported event kind "sns" (PROBE_EVENT_KIND must be one of sqs, kinesis, dynamodb)`},
	} {
		_, err, _ := invokeCapture(t, tt.probe, tt.env, []byte(tt.payload))
		if err == nil || err.Error() != tt.msg {
			t.Errorf("%s env %q %s: %v, want %s", tt.probe, tt.env, tt.payload, err, tt.msg)
		}
	}
}

func TestBatchProbe(t *testing.T) {
	sqs := editSample(t, "sqs", func(ev map[string]any) {
		recs := ev["Records"].([]any)
		second := map[string]any{}
		for k, v := range record(ev, 0) {
			second[k] = v
		}
		second["messageId"] = "MessageID_2"
		second["body"] = `{"fail":"XMARKX"}`
		third := map[string]any{"messageId": "MessageID_3", "body": "ok too", "eventSource": "aws:sqs"}
		ev["Records"] = append(recs, second, third)
	})
	kinesis := editSample(t, "kinesis", func(ev map[string]any) {
		record(ev, 0)["kinesis"].(map[string]any)["data"] = base64.StdEncoding.EncodeToString([]byte(`{"v":"XMARKX"}`))
	})
	const (
		kin0 = "49568167373333333333333333333333333333333333333333333333"
		kin1 = "49568167373333333334444444444444444444444444444444444444"
		// Both records of aws-lambda-go's DynamoDB sample carry the same
		// SequenceNumber.
		ddbSeq = "1405400000000002063282832"
	)
	tests := []struct {
		kind, marker, mode string
		payload            []byte
		result, lines, err string
	}{
		{"sqs", "", "", readSample(t, "sqs"), `{"batchItemFailures":[]}`, "probe-record sqs MessageID_1 ok\n", ""},
		{"sqs", "XMARKX", "", sqs, `{"batchItemFailures":[{"itemIdentifier":"MessageID_2"}]}`,
			"probe-record sqs MessageID_1 ok\nprobe-record sqs MessageID_2 failed\nprobe-record sqs MessageID_3 ok\n", ""},
		{"sqs", "XMARKX", "partial", sqs, `{"batchItemFailures":[{"itemIdentifier":"MessageID_2"}]}`,
			"probe-record sqs MessageID_1 ok\nprobe-record sqs MessageID_2 failed\nprobe-record sqs MessageID_3 ok\n", ""},
		{"sqs", "XMARKX", "error", sqs, "",
			"probe-record sqs MessageID_1 ok\nprobe-record sqs MessageID_2 failed\nprobe-record sqs MessageID_3 ok\n", "probe: batch failed: MessageID_2"},
		{"sqs", "Body", "error", sqs, "",
			"probe-record sqs MessageID_1 failed\nprobe-record sqs MessageID_2 ok\nprobe-record sqs MessageID_3 ok\n", "probe: batch failed: MessageID_1"},
		{"sqs", "nowhere", "error", sqs, `{"batchItemFailures":[]}`,
			"probe-record sqs MessageID_1 ok\nprobe-record sqs MessageID_2 ok\nprobe-record sqs MessageID_3 ok\n", ""},
		// Kinesis: the marker is looked for in the base64-decoded data.
		{"kinesis", "XMARKX", "", kinesis, `{"batchItemFailures":[{"itemIdentifier":"` + kin0 + `"}]}`,
			"probe-record kinesis " + kin0 + " failed\nprobe-record kinesis " + kin1 + " ok\n", ""},
		{"kinesis", "SGVsbG8", "", kinesis, `{"batchItemFailures":[]}`,
			"probe-record kinesis " + kin0 + " ok\nprobe-record kinesis " + kin1 + " ok\n", ""},
		{"kinesis", "World", "", readSample(t, "kinesis"), `{"batchItemFailures":[{"itemIdentifier":"` + kin0 + `"},{"itemIdentifier":"` + kin1 + `"}]}`,
			"probe-record kinesis " + kin0 + " failed\nprobe-record kinesis " + kin1 + " failed\n", ""},
		{"kinesis", "World", "error", readSample(t, "kinesis"), "",
			"probe-record kinesis " + kin0 + " failed\nprobe-record kinesis " + kin1 + " failed\n", "probe: batch failed: " + kin0 + ", " + kin1},
		// DynamoDB: any attribute value, nested ones included ("Joe" is in
		// the second record's Map).
		{"dynamodb", "Joe", "", readSample(t, "dynamodb"), `{"batchItemFailures":[{"itemIdentifier":"` + ddbSeq + `"}]}`,
			"probe-record dynamodb " + ddbSeq + " ok\nprobe-record dynamodb " + ddbSeq + " failed\n", ""},
		{"dynamodb", "567.8", "", readSample(t, "dynamodb"), `{"batchItemFailures":[{"itemIdentifier":"` + ddbSeq + `"}]}`,
			"probe-record dynamodb " + ddbSeq + " ok\nprobe-record dynamodb " + ddbSeq + " failed\n", ""},
		{"dynamodb", "binary", "", readSample(t, "dynamodb"), `{"batchItemFailures":[{"itemIdentifier":"` + ddbSeq + `"},{"itemIdentifier":"` + ddbSeq + `"}]}`,
			"probe-record dynamodb " + ddbSeq + " failed\nprobe-record dynamodb " + ddbSeq + " failed\n", ""},
		{"dynamodb", "INSERT", "", readSample(t, "dynamodb"), `{"batchItemFailures":[]}`,
			"probe-record dynamodb " + ddbSeq + " ok\nprobe-record dynamodb " + ddbSeq + " ok\n", ""},
	}
	for _, tt := range tests {
		t.Setenv(failMarkerEnv, tt.marker)
		t.Setenv(failModeEnv, tt.mode)
		out, err, stdout := invokeCapture(t, "batch", tt.kind, tt.payload)
		name := tt.kind + " marker " + tt.marker + " mode " + tt.mode
		if tt.err != "" {
			if err == nil || err.Error() != tt.err || lambdaErrorType(err) != "errorString" {
				t.Errorf("%s: result %s, error %v; want error %s", name, out, err, tt.err)
			}
		} else if err != nil || string(out) != tt.result {
			t.Errorf("%s: %s, %v; want %s", name, out, err, tt.result)
		}
		if stdout != tt.lines {
			t.Errorf("%s: logged\n%s\nwant\n%s", name, stdout, tt.lines)
		}
	}
}

func TestBatchProbeBadInput(t *testing.T) {
	t.Setenv(failModeEnv, "retry")
	if _, err, _ := invokeCapture(t, "batch", "sqs", readSample(t, "sqs")); err == nil || err.Error() != `probe: batch: PROBE_FAIL_MODE must be partial or error, got "retry"` {
		t.Errorf("bad mode: %v", err)
	}
	t.Setenv(failModeEnv, "")
	_, err, _ := invokeCapture(t, "batch", "sqs", []byte(`{"Records":{}}`))
	if err == nil || !strings.HasPrefix(err.Error(), "probe: batch: invalid sqs event: ") || lambdaErrorType(err) != "wrapError" {
		t.Errorf("bad event: %v", err)
	}
	_, err, _ = invokeCapture(t, "batch", "dynamodb", []byte(`{"Records":[{"dynamodb":{"NewImage":{"k":{"BS":[1]}}}}]}`))
	if err == nil || err.Error() != "probe: batch: invalid dynamodb event: panic while decoding: interface conversion: interface {} is float64, not string" {
		t.Errorf("panicking event: %v", err)
	}
	// Unknown fields do not matter to the batch probe.
	payload := editSample(t, "sqs", func(ev map[string]any) { record(ev, 0)["extra"] = 1 })
	if out, err, _ := invokeCapture(t, "batch", "sqs", payload); err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("extra field: %s, %v", out, err)
	}
}

// In dispatch mode the event is the args.
func TestEventProbesDispatch(t *testing.T) {
	payload := []byte(`{"probe":"event-shape","args":` + string(readSample(t, "sns")) + `}`)
	out, err, _ := invokeCapture(t, DispatchProbe, "", payload)
	if err != nil || !strings.Contains(string(out), `"ids":["95df01b4-ee98-5cb9-9903-4c221d41eb5e"]`) {
		t.Errorf("dispatch event-shape: %s, %v", out, err)
	}
}
