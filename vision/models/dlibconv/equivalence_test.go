//go:build vision

package dlibconv

import (
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/models"
)

// maxDiff is the bound on |TF.js - OpenCV| for any descriptor value.
const maxDiff = 1e-5

// loadNet loads the converted model through the recorded sha256 check.
func loadNet(t testing.TB) gocv.Net {
	dir, err := models.Dir()
	if err != nil {
		t.Fatal(err)
	}
	path, err := models.DlibResNetV1.Check(dir)
	if err != nil {
		t.Skipf("%v (make models builds it)", err)
	}
	net := gocv.ReadNetFromONNX(path)
	if net.Empty() {
		t.Fatalf("OpenCV cannot load %s", path)
	}
	return net
}

// chips are real face crops from LFW, scaled to the 150x150 input, and one
// image of uniform noise, as HWC RGB float32.
func chips(t *testing.T) [][]float32 {
	root := filepath.Join(shared.Need(t, "datasets/lfw_112x112"), "images")
	var out [][]float32
	for _, name := range []string{"AJ_Cook/AJ_Cook_0001.jpg", "Aaron_Pena/Aaron_Pena_0001.jpg", "Aaron_Patterson/Aaron_Patterson_0001.jpg"} {
		img, err := face.ReadImage(filepath.Join(root, name), face.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		big := gocv.NewMat()
		gocv.Resize(img, &big, image.Pt(InputSize, InputSize), 0, 0, gocv.InterpolationCubic)
		px := make([]float32, 0, InputSize*InputSize*3)
		for y := range InputSize {
			for x := range InputSize {
				v := big.GetVecbAt(y, x) // BGR
				px = append(px, float32(v[2]), float32(v[1]), float32(v[0]))
			}
		}
		img.Close()
		big.Close()
		out = append(out, px)
	}
	r := rand.New(rand.NewPCG(15, 150))
	noise := make([]float32, InputSize*InputSize*3)
	for i := range noise {
		noise[i] = float32(r.IntN(256))
	}
	return append(out, noise)
}

// forward runs the ONNX model in OpenCV on one HWC RGB image.
func forward(t testing.TB, net *gocv.Net, px []float32) []float32 {
	img, err := gocv.NewMatFromBytes(InputSize, InputSize, gocv.MatTypeCV32FC3, f32bytes(px))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	blob := gocv.BlobFromImage(img, 1, image.Pt(InputSize, InputSize), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	net.SetInput(blob, "input")
	out := net.Forward("descriptor")
	defer out.Close()
	d, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), d...)
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// The converted model in OpenCV gives the package's own TF.js network's
// descriptors on the same inputs.
func TestOpenCVMatchesTFJS(t *testing.T) {
	pkg := packageDir(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed for the TF.js reference: ", err)
	}
	net := loadNet(t)
	defer net.Close()
	inputs := chips(t)
	dir := t.TempDir()
	var all []float32
	for _, px := range inputs {
		all = append(all, px...)
	}
	in, outFile := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.f32")
	if err := os.WriteFile(in, f32bytes(all), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/reference.mjs", pkg, in, outFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	raw, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*Dim*len(inputs) {
		t.Fatalf("reference wrote %d bytes, want %d", len(raw), 4*Dim*len(inputs))
	}
	worst := 0.0
	for i, px := range inputs {
		got := forward(t, &net, px)
		if len(got) != Dim {
			t.Fatalf("input %d: OpenCV gave %d values, want %d", i, len(got), Dim)
		}
		var norm float64
		for j, v := range got {
			ref := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*Dim+j):]))
			worst = max(worst, math.Abs(float64(v-ref)))
			norm += float64(ref) * float64(ref)
		}
		if norm < 1e-6 {
			t.Errorf("input %d: the reference descriptor is all zeros; the comparison would prove nothing", i)
		}
	}
	t.Logf("max |OpenCV - TF.js| over %d inputs x %d values: %.3g", len(inputs), Dim, worst)
	if worst > maxDiff {
		t.Errorf("max |OpenCV - TF.js| = %.3g, want at most %g", worst, maxDiff)
	}
}

// BenchmarkForward is one face through the converted model in OpenCV.
func BenchmarkForward(b *testing.B) {
	net := loadNet(b)
	defer net.Close()
	px := make([]float32, InputSize*InputSize*3)
	for i := range px {
		px[i] = float32(i % 251)
	}
	forward(b, &net, px)
	b.ResetTimer()
	for range b.N {
		forward(b, &net, px)
	}
}
