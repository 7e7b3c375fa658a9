package dlibconv

import (
	"fmt"
	"slices"
	"strconv"
)

// The network as src/faceRecognitionNet/FaceRecognitionNet.ts defines it.
const (
	InputSize = 150 // the dlib face chip's side, in pixels
	Dim       = 128 // the descriptor's length
)

// meanRGB is what FaceRecognitionNet.forwardInput subtracts from each
// channel before dividing by 255.
var meanRGB = [3]float64{122.782, 117.001, 104.298}

// stage is one call in forwardInput: a residual block, or a residualDown
// block from in to out channels.
type stage struct {
	name    string
	in, out int
	down    bool
}

var stages = []stage{
	{"conv32_1", 32, 32, false}, {"conv32_2", 32, 32, false}, {"conv32_3", 32, 32, false},
	{"conv64_down", 32, 64, true}, {"conv64_1", 64, 64, false}, {"conv64_2", 64, 64, false}, {"conv64_3", 64, 64, false},
	{"conv128_down", 64, 128, true}, {"conv128_1", 128, 128, false}, {"conv128_2", 128, 128, false},
	{"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false}, {"conv256_2", 256, 256, false},
	{"conv256_down_out", 256, 256, true},
}

// builder accumulates the ONNX graph; names are numbered in build order.
type builder struct {
	w     map[string]Tensor
	used  map[string]bool
	nodes []node
	inits []initializer
	n     int
}

// Build checks that w holds exactly the tensors of the network, with their
// shapes, and returns the ONNX model: input "input", float [1,3,150,150],
// RGB values 0..255 (the normalisation is folded into the first
// convolution); output "descriptor", float [1,128], not normalised.
func Build(w map[string]Tensor) ([]byte, error) {
	b := &builder{w: w, used: map[string]bool{}}
	x, err := b.convLayer("input", "conv32_down", 7, 3, 32, 2, 0, true, true)
	if err != nil {
		return nil, err
	}
	side := (InputSize-7)/2 + 1
	x = b.op("MaxPool", []string{x}, kernel(3), strides(2), pads(0))
	side = (side-3)/2 + 1
	for _, s := range stages {
		if x, side, err = b.residual(x, side, s); err != nil {
			return nil, err
		}
	}
	x = b.op("GlobalAveragePool", []string{x})
	x = b.op("Flatten", []string{x}, attribute{name: "axis", ints: []int64{1}, one: true})
	fc, err := b.tensor("fc", 256, Dim)
	if err != nil {
		return nil, err
	}
	// matMul(avg, fc) with fc [256,128] is Gemm with B = fcᵀ and transB.
	fcT := make([]float32, len(fc.Data))
	for i := range 256 {
		for o := range Dim {
			fcT[o*256+i] = fc.Data[i*Dim+o]
		}
	}
	wname := b.init("fc_weight", []int64{Dim, 256}, fcT)
	bname := b.init("fc_bias", []int64{Dim}, make([]float32, Dim))
	b.nodes = append(b.nodes, node{op: "Gemm", name: "fc", inputs: []string{x, wname, bname}, outputs: []string{"descriptor"},
		attrs: []attribute{{name: "transB", ints: []int64{1}, one: true}}})
	for name := range w {
		if !b.used[name] {
			return nil, fmt.Errorf("%w: %s is not part of dlib's face recognition network: not the manifest of %s", ErrWeights, name, Package)
		}
	}
	m := model{
		irVersion: 6, opset: 11,
		producer: "roomgate dlibconv", version: "1",
		doc:       "dlib face recognition ResNet (public domain, davisking/dlib-models), converted from " + Package + ". Input RGB 0..255 NCHW 150x150 dlib face chip; output 128-d, compare by cosine after L2 normalisation.",
		graphName: "dlib_face_recognition_resnet",
		nodes:     b.nodes, inits: b.inits,
		input:  valueInfo("input", 1, 3, InputSize, InputSize),
		output: valueInfo("descriptor", 1, Dim),
	}
	return m.encode(), nil
}

// residual is residual() or residualDown() of residualLayer.ts.
func (b *builder) residual(x string, side int, s stage) (string, int, error) {
	stride, pad := 1, 1
	if s.down {
		stride, pad = 2, 0 // convDown: 'valid'
	}
	a, err := b.convLayer(x, s.name+"/conv1", 3, s.in, s.out, stride, pad, true, false)
	if err != nil {
		return "", 0, err
	}
	c, err := b.convLayer(a, s.name+"/conv2", 3, s.out, s.out, 1, 1, false, false)
	if err != nil {
		return "", 0, err
	}
	if !s.down {
		return b.op("Relu", []string{b.op("Add", []string{c, x})}), side, nil
	}
	outSide := (side-3)/2 + 1
	pooledSide := side / 2
	p := b.op("AveragePool", []string{x}, kernel(2), strides(2), pads(0))
	switch pooledSide - outSide {
	case 0:
	case 1:
		// residualDown appends one zero row and one zero column to the
		// convolution's output when the pooled shortcut is larger.
		c = b.pad(c, []int64{0, 0, 0, 0, 0, 0, 1, 1})
	default:
		return "", 0, fmt.Errorf("dlibconv: %s: pooled side %d, conv side %d", s.name, pooledSide, outSide)
	}
	if s.out != s.in {
		// ...and zero channels to the shortcut when the block widens.
		p = b.pad(p, []int64{0, 0, 0, 0, 0, int64(s.out - s.in), 0, 0})
	}
	return b.op("Relu", []string{b.op("Add", []string{p, c})}), pooledSide, nil
}

// convLayer is convLayer() of convLayer.ts: conv2d, add bias, scale, and
// optionally relu, with the scale folded into the filters and bias. With
// normalise, (x-meanRGB)/255 is folded in too; that is exact because the
// first convolution has no padding.
func (b *builder) convLayer(x, prefix string, k, in, out, stride, pad int, relu, normalise bool) (string, error) {
	f, err := b.tensor(prefix+"/conv/filters", k, k, in, out)
	if err != nil {
		return "", err
	}
	bias, err := b.tensor(prefix+"/conv/bias", out)
	if err != nil {
		return "", err
	}
	sw, err := b.tensor(prefix+"/scale/weights", out)
	if err != nil {
		return "", err
	}
	sb, err := b.tensor(prefix+"/scale/biases", out)
	if err != nil {
		return "", err
	}
	// TF.js filters are [kh, kw, in, out]; ONNX wants [out, in, kh, kw].
	wt := make([]float32, len(f.Data))
	bt := make([]float32, out)
	for o := range out {
		s := float64(sw.Data[o])
		shift := 0.0
		for c := range in {
			for i := range k {
				for j := range k {
					v := float64(f.Data[((i*k+j)*in+c)*out+o]) * s
					if normalise {
						v /= 255
						shift += v * meanRGB[c]
					}
					wt[((o*in+c)*k+i)*k+j] = float32(v)
				}
			}
		}
		bt[o] = float32(float64(bias.Data[o])*s + float64(sb.Data[o]) - shift)
	}
	name := onnxName(prefix)
	wn := b.init(name+"_weight", []int64{int64(out), int64(in), int64(k), int64(k)}, wt)
	bn := b.init(name+"_bias", []int64{int64(out)}, bt)
	y := b.op("Conv", []string{x, wn, bn}, kernel(k), strides(stride), pads(pad))
	if relu {
		y = b.op("Relu", []string{y})
	}
	return y, nil
}

// tensor returns the named weight after checking its shape.
func (b *builder) tensor(name string, shape ...int) (Tensor, error) {
	t, ok := b.w[name]
	if !ok {
		return Tensor{}, fmt.Errorf("%w: %s missing: not the manifest of %s", ErrWeights, name, Package)
	}
	if !slices.Equal(t.Shape, shape) {
		return Tensor{}, fmt.Errorf("%w: %s has shape %v, the network needs %v: not the manifest of %s", ErrWeights, name, t.Shape, shape, Package)
	}
	b.used[name] = true
	return t, nil
}

func (b *builder) op(op string, inputs []string, attrs ...attribute) string {
	b.n++
	out := op + "_" + strconv.Itoa(b.n)
	b.nodes = append(b.nodes, node{op: op, name: out, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// pad zero-pads x by pads (ONNX order: all begins, then all ends).
func (b *builder) pad(x string, pads []int64) string {
	b.n++
	pn := "pads_" + strconv.Itoa(b.n)
	b.inits = append(b.inits, initializer{name: pn, dims: []int64{int64(len(pads))}, i64: pads, isI64: true})
	return b.op("Pad", []string{x, pn})
}

func (b *builder) init(name string, dims []int64, data []float32) string {
	b.inits = append(b.inits, initializer{name: name, dims: dims, f32: data})
	return name
}

func onnxName(prefix string) string {
	out := []byte(prefix)
	for i, c := range out {
		if c == '/' {
			out[i] = '_'
		}
	}
	return string(out)
}

func kernel(k int) attribute {
	return attribute{name: "kernel_shape", ints: []int64{int64(k), int64(k)}}
}
func strides(s int) attribute { return attribute{name: "strides", ints: []int64{int64(s), int64(s)}} }
func pads(p int) attribute {
	v := int64(p)
	return attribute{name: "pads", ints: []int64{v, v, v, v}}
}

// ConvertDir reads the pinned package's weights from dir and returns the
// ONNX model.
func ConvertDir(dir string) ([]byte, error) {
	w, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return Build(w)
}
