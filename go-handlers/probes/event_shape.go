package probes

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"

	"github.com/aws/aws-lambda-go/events"
)

// eventShapeResult is the event-shape probe's result.
type eventShapeResult struct {
	Kind          string   `json:"kind"`
	Records       int      `json:"records"`
	DecodeError   string   `json:"decodeError"`
	UnknownFields []string `json:"unknownFields"`
	MissingFields []string `json:"missingFields"`
	IDs           []string `json:"ids"`
}

// eventShapeProbe takes a delivered event as its payload and checks it
// against aws-lambda-go's events types: a strict decode (unknown fields are
// errors) and a case-sensitive comparison of the JSON's keys with the
// types' JSON field names. It logs one probe-record line per record.
func eventShapeProbe(_ context.Context, payload []byte) ([]byte, error) {
	kind, err := eventKind("event-shape", payload, "sqs", "kinesis", "dynamodb", "sns")
	if err != nil {
		return nil, err
	}
	res := eventShapeResult{Kind: kind, UnknownFields: []string{}, MissingFields: []string{}, IDs: []string{}}

	if err := decodeStrict(payload, newEvent(kind)); err != nil {
		res.DecodeError = err.Error()
	}

	var raw any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if dec.Decode(&raw) == nil {
		unknown, missing := map[string]bool{}, map[string]bool{}
		compareFields(reflect.TypeOf(newEvent(kind)), raw, "", unknown, missing)
		res.UnknownFields, res.MissingFields = sortedKeys(unknown), sortedKeys(missing)
	}

	// Records, ids and log lines come from a lenient decode (unknown fields
	// ignored), so an event with an extra field is still accounted for.
	// After a type error encoding/json keeps what it could decode.
	ev := newEvent(kind)
	_ = unmarshalLenient(payload, ev)
	for _, r := range eventRecords(ev) {
		res.IDs = append(res.IDs, r.id)
		writeRecordLine(kind, r.id, string(r.summary))
	}
	res.Records = len(res.IDs)
	out, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	// Also logged: a trigger's caller (an event source mapping, SNS) discards the result, so the log is where
	// the suites read it back, as they would on AWS.
	writeShapeLine(kind, out)
	return out, nil
}

type recordSummary struct {
	id      string
	summary []byte
}

// eventRecords returns each record's id (SQS messageId, Kinesis and
// DynamoDB eventID, SNS Sns.MessageId) and summary as compact JSON.
func eventRecords(ev any) []recordSummary {
	var out []recordSummary
	add := func(id string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"summaryError": err.Error()})
		}
		out = append(out, recordSummary{id, b})
	}
	switch ev := ev.(type) {
	case *events.SQSEvent:
		for _, r := range ev.Records {
			add(r.MessageId, struct {
				Body              string                                `json:"body"`
				Attributes        map[string]string                     `json:"attributes"`
				MessageAttributes map[string]events.SQSMessageAttribute `json:"messageAttributes"`
			}{r.Body, r.Attributes, r.MessageAttributes})
		}
	case *events.KinesisEvent:
		for _, r := range ev.Records {
			s := struct {
				PartitionKey   string `json:"partitionKey"`
				SequenceNumber string `json:"sequenceNumber"`
				DataIsJSON     bool   `json:"dataIsJson"`
				Data           any    `json:"data"`
			}{PartitionKey: r.Kinesis.PartitionKey, SequenceNumber: r.Kinesis.SequenceNumber}
			// The data arrives base64-encoded; []byte decoding already undid
			// that. JSON data is embedded as JSON, anything else as a string.
			if json.Valid(r.Kinesis.Data) {
				s.DataIsJSON, s.Data = true, json.RawMessage(r.Kinesis.Data)
			} else {
				s.Data = string(r.Kinesis.Data)
			}
			add(r.EventID, s)
		}
	case *events.DynamoDBEvent:
		for _, r := range ev.Records {
			add(r.EventID, struct {
				EventName string                                   `json:"eventName"`
				Keys      map[string]events.DynamoDBAttributeValue `json:"Keys"`
				NewImage  map[string]any                           `json:"NewImage,omitempty"`
				OldImage  map[string]any                           `json:"OldImage,omitempty"`
			}{r.EventName, r.Change.Keys, attributeTypes(r.Change.NewImage), attributeTypes(r.Change.OldImage)})
		}
	case *events.SNSEvent:
		for _, r := range ev.Records {
			add(r.SNS.MessageID, struct {
				Subject           string         `json:"Subject"`
				Message           string         `json:"Message"`
				MessageAttributes map[string]any `json:"MessageAttributes"`
			}{r.SNS.Subject, r.SNS.Message, r.SNS.MessageAttributes})
		}
	}
	return out
}

// dynamoDBTypeNames spells events.DynamoDBDataType (an int with no String
// method) as DynamoDB's type descriptors.
var dynamoDBTypeNames = map[events.DynamoDBDataType]string{
	events.DataTypeBinary:    "B",
	events.DataTypeBoolean:   "BOOL",
	events.DataTypeBinarySet: "BS",
	events.DataTypeList:      "L",
	events.DataTypeMap:       "M",
	events.DataTypeNumber:    "N",
	events.DataTypeNumberSet: "NS",
	events.DataTypeNull:      "NULL",
	events.DataTypeString:    "S",
	events.DataTypeStringSet: "SS",
}

// attributeTypes maps each attribute of an image to the type the library
// decoded it as: "S", "N", ... ; a list as {"L":[types]}, a map as
// {"M":{name:type}}. nil for an absent image.
func attributeTypes(image map[string]events.DynamoDBAttributeValue) map[string]any {
	if image == nil {
		return nil
	}
	out := make(map[string]any, len(image))
	for name, av := range image {
		out[name] = attributeType(av)
	}
	return out
}

func attributeType(av events.DynamoDBAttributeValue) any {
	switch av.DataType() {
	case events.DataTypeList:
		list := av.List()
		types := make([]any, len(list))
		for i, e := range list {
			types[i] = attributeType(e)
		}
		return map[string]any{"L": types}
	case events.DataTypeMap:
		return map[string]any{"M": attributeTypes(av.Map())}
	}
	return dynamoDBTypeNames[av.DataType()]
}
