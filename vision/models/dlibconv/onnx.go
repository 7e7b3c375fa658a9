package dlibconv

import (
	"encoding/binary"
	"math"
)

// The few ONNX protobuf messages the converter writes, encoded by hand
// (field numbers from onnx/onnx.proto). Fields are written in a fixed
// order, so the output is deterministic.

const (
	onnxFloat = 1 // TensorProto.DataType FLOAT
	onnxInt64 = 7 // TensorProto.DataType INT64

	attrInt  = 2 // AttributeProto.AttributeType INT
	attrInts = 7 // AttributeProto.AttributeType INTS
)

type pb []byte

func (b pb) tag(field, wire int) pb { return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire)) }

func (b pb) varint(field int, v int64) pb {
	return binary.AppendUvarint(b.tag(field, 0), uint64(v))
}

func (b pb) bytes(field int, v []byte) pb {
	b = binary.AppendUvarint(b.tag(field, 2), uint64(len(v)))
	return append(b, v...)
}

func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

// attribute is an AttributeProto holding an int or a list of ints.
type attribute struct {
	name string
	ints []int64
	one  bool // an INT, not INTS
}

func (a attribute) encode() []byte {
	var b pb
	b = b.str(1, a.name)
	if a.one {
		b = b.varint(3, a.ints[0])
		return b.varint(20, attrInt)
	}
	for _, v := range a.ints {
		b = b.varint(8, v)
	}
	return b.varint(20, attrInts)
}

type node struct {
	op      string
	name    string
	inputs  []string
	outputs []string
	attrs   []attribute
}

func (n node) encode() []byte {
	var b pb
	for _, in := range n.inputs {
		b = b.str(1, in)
	}
	for _, out := range n.outputs {
		b = b.str(2, out)
	}
	b = b.str(3, n.name)
	b = b.str(4, n.op)
	for _, a := range n.attrs {
		b = b.bytes(5, a.encode())
	}
	return b
}

// initializer is a TensorProto of float32 or int64 data.
type initializer struct {
	name  string
	dims  []int64
	f32   []float32
	i64   []int64
	isI64 bool
}

func (t initializer) encode() []byte {
	var b pb
	for _, d := range t.dims {
		b = b.varint(1, d)
	}
	var raw []byte
	if t.isI64 {
		b = b.varint(2, onnxInt64)
		for _, v := range t.i64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	} else {
		b = b.varint(2, onnxFloat)
		raw = make([]byte, 0, 4*len(t.f32))
		for _, v := range t.f32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	b = b.str(8, t.name)
	return b.bytes(9, raw)
}

// valueInfo is a ValueInfoProto of a float tensor with fixed dims.
func valueInfo(name string, dims ...int64) []byte {
	var shape pb
	for _, d := range dims {
		shape = shape.bytes(1, pb(nil).varint(1, d))
	}
	tensor := pb(nil).varint(1, onnxFloat).bytes(2, shape)
	typ := pb(nil).bytes(1, tensor)
	return pb(nil).str(1, name).bytes(2, typ)
}

// model is an ONNX ModelProto with one graph.
type model struct {
	irVersion int64
	opset     int64
	producer  string
	version   string
	doc       string
	graphName string
	nodes     []node
	inits     []initializer
	input     []byte
	output    []byte
}

func (m model) encode() []byte {
	var g pb
	for _, n := range m.nodes {
		g = g.bytes(1, n.encode())
	}
	g = g.str(2, m.graphName)
	for _, t := range m.inits {
		g = g.bytes(5, t.encode())
	}
	g = g.bytes(11, m.input)
	g = g.bytes(12, m.output)

	var b pb
	b = b.varint(1, m.irVersion)
	b = b.str(2, m.producer)
	b = b.str(3, m.version)
	b = b.str(6, m.doc)
	b = b.bytes(7, g)
	opset := pb(nil).str(1, "").varint(2, m.opset)
	return b.bytes(8, opset)
}
