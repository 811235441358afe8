package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Helpers shared by the event-shape and batch probes, which take the event a
// service delivered (SQS, Kinesis, DynamoDB Streams, SNS) as their payload.

// eventKindEnv names the event kind for the event probes.
const eventKindEnv = "PROBE_EVENT_KIND"

// eventSources maps the eventSource (EventSource for SNS) of a record to the
// kind it identifies.
var eventSources = map[string]string{
	"aws:sqs":      "sqs",
	"aws:kinesis":  "kinesis",
	"aws:dynamodb": "dynamodb",
	"aws:sns":      "sns",
}

// eventKind returns PROBE_EVENT_KIND, or, when it is unset or empty, the kind
// named by the first record's eventSource/EventSource. allowed lists the
// kinds the probe accepts.
func eventKind(probe string, payload []byte, allowed ...string) (string, error) {
	kind := os.Getenv(eventKindEnv)
	if kind == "" {
		// Only the exact spellings count (encoding/json would also match the
		// other key case-insensitively).
		var raw struct {
			Records []map[string]json.RawMessage `json:"Records"`
		}
		if json.Unmarshal(payload, &raw) == nil && len(raw.Records) > 0 {
			var src string
			if v, ok := raw.Records[0]["eventSource"]; ok {
				_ = json.Unmarshal(v, &src)
			} else if v, ok := raw.Records[0]["EventSource"]; ok {
				_ = json.Unmarshal(v, &src)
			}
			kind = eventSources[src]
		}
		if kind == "" {
			return "", fmt.Errorf("probe: %s: %s is not set and the event's first record names no known eventSource", probe, eventKindEnv)
		}
	}
	if !slices.Contains(allowed, kind) {
		return "", fmt.Errorf("probe: %s: unsupported event kind %q (%s must be one of %s)", probe, kind, eventKindEnv, strings.Join(allowed, ", "))
	}
	return kind, nil
}

// newEvent returns a pointer to a zero aws-lambda-go event of the kind.
func newEvent(kind string) any {
	switch kind {
	case "sqs":
		return new(events.SQSEvent)
	case "kinesis":
		return new(events.KinesisEvent)
	case "dynamodb":
		return new(events.DynamoDBEvent)
	case "sns":
		return new(events.SNSEvent)
	}
	panic("probe: no event type for kind " + kind)
}

// unmarshalLenient is json.Unmarshal (unknown fields ignored), except that a
// panic in a type's own decoder becomes an error: aws-lambda-go's
// DynamoDBAttributeValue panics on a non-string "BS" element
// (unmarshalBinarySet asserts element.(string) unchecked).
func unmarshalLenient(payload []byte, v any) (err error) {
	defer recoverDecode(&err)
	return json.Unmarshal(payload, v)
}

func recoverDecode(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("panic while decoding: %v", p)
	}
}

// decodeStrict decodes payload into v the way a strict consumer would:
// unknown fields (as encoding/json sees them: key matching is
// case-insensitive) and trailing data are errors; so is a panic in a type's
// own decoder (see unmarshalLenient).
func decodeStrict(payload []byte, v any) (err error) {
	defer recoverDecode(&err)
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("trailing data after the event")
	}
	return nil
}

// writeRecordLine writes "probe-record <kind> <id> <rest>\n" to stdout in one
// write(2), so lines from one invoke are never interleaved with others.
func writeRecordLine(kind, id, rest string) {
	_, _ = os.Stdout.Write([]byte("probe-record " + kind + " " + id + " " + rest + "\n"))
}

// writeShapeLine writes "probe-shape <kind> <result JSON>\n" to stdout in one write.
func writeShapeLine(kind string, result []byte) {
	_, _ = os.Stdout.Write([]byte("probe-shape " + kind + " " + string(result) + "\n"))
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// compareFields walks the JSON value v (as decoded into any) alongside the Go
// type t and records, as paths, the object keys t has no field for
// (unknown) and the fields of t without omitempty that v lacks (missing).
// Keys match field names exactly (case-sensitively), unlike encoding/json.
// Types with their own UnmarshalJSON (time.Time, SecondsEpochTime,
// DynamoDBAttributeValue) and interface types are leaves. In paths, "[]"
// stands for any array element and "*" for any map key.
func compareFields(t reflect.Type, v any, path string, unknown, missing map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return // null or a type mismatch: the strict decode reports the latter
		}
		fields := jsonFields(t)
		for key, val := range obj {
			f, ok := fields[key]
			if !ok {
				unknown[joinPath(path, key)] = true
				continue
			}
			compareFields(f.typ, val, joinPath(path, key), unknown, missing)
		}
		for name, f := range fields {
			if _, ok := obj[name]; !ok && !f.omitempty {
				missing[joinPath(path, name)] = true
			}
		}
	case reflect.Map:
		if obj, ok := v.(map[string]any); ok {
			for _, val := range obj {
				compareFields(t.Elem(), val, joinPath(path, "*"), unknown, missing)
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return // []byte: a base64 string
		}
		if arr, ok := v.([]any); ok {
			for _, val := range arr {
				compareFields(t.Elem(), val, path+"[]", unknown, missing)
			}
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type jsonField struct {
	typ       reflect.Type
	omitempty bool
}

// jsonFields returns the JSON names of a struct's fields as encoding/json
// sees them (exported, not "-", embedded structs without a name flattened).
func jsonFields(t reflect.Type) map[string]jsonField {
	fields := map[string]jsonField{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for n, f := range jsonFields(et) {
					if _, dup := fields[n]; !dup {
						fields[n] = f
					}
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		omit := false
		for o := range strings.SplitSeq(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				omit = true
			}
		}
		fields[name] = jsonField{typ: ft, omitempty: omit}
	}
	return fields
}

// sortedKeys returns the set's members in order, never nil (so it marshals
// as []).
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
