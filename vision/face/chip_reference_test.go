//go:build vision

package face

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/models/dlibconv"
)

// The bounds the dlib chip from YuNet's five points keeps against dlib's
// own chip from 68 landmarks of an independent landmarker. The two
// landmarkers disagree by 5–10 % of the eye distance per face (face-api's
// network sees the face at 112x112), so each face's chip moves by several
// per cent; a wrong template moves them all the same way, which the mean shows.
const (
	// Corner errors: a chip corner mapped back into the photo against
	// dlib's, as a fraction of the side of dlib's chip in the photo.
	maxMeanCornerError = 0.09
	maxCornerError     = 0.20
	// Cosines between the embeddings of the two chips; the same person in
	// two photos scores about 0.95 (README).
	minMeanChipCosine = 0.985
	minChipCosine     = 0.96
)

// detectorMisses are photos where YuNet boxes part of the face: its
// landmarks are wrong there, which is the detector's failure, not the
// mapping's. They are measured and logged, not held to the bounds.
var detectorMisses = map[string]string{
	"biden/biden2.jpg": "YuNet 2022mar boxes only the forehead to the nose of this close-up (score 0.83)",
}

// landmarkCrop is the side of the square crops the 68-point landmarker
// is given (its network's input).
const landmarkCrop = 112

// cropGrow is how much larger than YuNet's box that crop is: face-api's
// detector's boxes are looser than YuNet's.
const cropGrow = 1.3

// referenceFace is one face of a photo with what dlib made of it.
type referenceFace struct {
	name    string
	img     gocv.Mat       // BGR
	face    Face           // YuNet's
	marks   [68]geom.Point // face-api's, in the photo
	corners [4]geom.Point  // of dlib's chip, in the photo
	chip    gocv.Mat       // dlib's, BGR
}

// dlib's own get_face_chip_details(68 points, 150, 0.25) and
// extract_image_chip, on landmarks from face-api's 68-point network,
// against our chip from YuNet's five points (DlibChipTemplate).
func TestDlibChipMatchesDlibsOwn(t *testing.T) {
	faces := dlibReference(t)
	rec := newRecognizerOf(t, models.DlibResNetV1, RecognizerOptions{})
	side := models.DlibResNetV1.InputWidth

	var worstCorner, sumCorner, sumCos float64
	worstCos, n := 1.0, 0
	for _, f := range faces {
		corner := cornerError(f, DlibChipTemplate(side), side)
		ours, err := rec.Embed(f.img, f.face)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		theirs, err := rec.Feature(f.chip)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		cos := float64(Cosine(ours, theirs))
		t.Logf("%-40s landmarkers differ by %4.1f %% of the eye distance; corner error %5.2f %% of the chip; cosine %.4f",
			f.name, 100*landmarkDisagreement(f), 100*corner, cos)
		if why, ok := detectorMisses[f.name]; ok {
			t.Logf("%s: not held to the bounds: %s", f.name, why)
			continue
		}
		if corner > maxCornerError {
			t.Errorf("%s: a chip corner is %.1f %% of the chip from dlib's, want at most %.0f %%", f.name, 100*corner, 100*maxCornerError)
		}
		if cos < minChipCosine {
			t.Errorf("%s: cosine of our chip's embedding with dlib's chip's = %.4f, want at least %.2f", f.name, cos, minChipCosine)
		}
		worstCorner, sumCorner = max(worstCorner, corner), sumCorner+corner
		worstCos, sumCos = min(worstCos, cos), sumCos+cos
		n++
	}
	meanCorner, meanCos := sumCorner/float64(n), sumCos/float64(n)
	t.Logf("%d faces: corner error mean %.2f %%, worst %.2f %% of the chip (bounds %.0f, %.0f %%); cosine mean %.4f, worst %.4f (bounds %.3f, %.2f)",
		n, 100*meanCorner, 100*worstCorner, 100*maxMeanCornerError, 100*maxCornerError, meanCos, worstCos, minMeanChipCosine, minChipCosine)
	if meanCorner > maxMeanCornerError {
		t.Errorf("mean corner error %.2f %% of the chip, want at most %.0f %%", 100*meanCorner, 100*maxMeanCornerError)
	}
	if meanCos < minMeanChipCosine {
		t.Errorf("mean cosine of the two chips' embeddings %.4f, want at least %.3f", meanCos, minMeanChipCosine)
	}

	b := templateBias(faces, DlibChipTemplate(side), side)
	t.Logf("our chip on dlib's, mean over the faces: scale %.3f, centre moved by (%+.3f, %+.3f) of the chip", b.scale, b.dx, b.dy)
	if !b.within() {
		t.Errorf("our chip is scaled %.3f and moved (%+.3f, %+.3f) of the chip against dlib's on average, want within %.2f and %.2f", b.scale, b.dx, b.dy, maxScaleBias, maxShiftBias)
	}

	// The same check fails templates that are a little off: the chip's
	// padding 0.15 or 0.35 instead of 0.25 (the face about 10 % larger or
	// smaller), the template 5 % of the chip lower or to the side, and
	// the ArcFace template scaled up. (Padding 0.2, 7 %, is within what
	// this landmarker can resolve.)
	for _, bad := range []struct {
		name string
		t    geom.Landmarks
	}{
		{"padding 0.15", scaledTemplate(DlibChipTemplate(side), float32(side)/2, 1.5/1.3)},
		{"padding 0.35", scaledTemplate(DlibChipTemplate(side), float32(side)/2, 1.5/1.7)},
		{"5 % lower", movedTemplate(DlibChipTemplate(side), 0, 0.05*float32(side))},
		{"5 % to the right", movedTemplate(DlibChipTemplate(side), 0.05*float32(side), 0)},
		{"ArcFace's, scaled to 150", scaledTemplate(ArcFace112, 0, float32(side)/112)},
	} {
		b := templateBias(faces, bad.t, side)
		t.Logf("template %s: scale %.3f, centre moved by (%+.3f, %+.3f) of the chip", bad.name, b.scale, b.dx, b.dy)
		if b.within() {
			t.Errorf("template %s passes: the check cannot tell a wrong template", bad.name)
		}
	}
}

// The most our chip may be scaled or moved against dlib's, averaged over
// the faces: the landmarkers' disagreement mostly averages out there.
const (
	maxScaleBias = 0.05
	maxShiftBias = 0.03 // of the chip's side
)

// bias is how our chip sits on dlib's on average: its scale, and how far
// its centre lies from dlib's, in fractions of the chip.
type bias struct{ scale, dx, dy float64 }

func (b bias) within() bool {
	return math.Abs(b.scale-1) <= maxScaleBias && math.Abs(b.dx) <= maxShiftBias && math.Abs(b.dy) <= maxShiftBias
}

// templateBias maps our chip (made with template) into dlib's chip
// coordinates face by face and averages its scale and centre's offset.
func templateBias(faces []referenceFace, template geom.Landmarks, side int) bias {
	var b bias
	n := 0
	s := float64(side - 1)
	c := geom.Point{X: float32(s / 2), Y: float32(s / 2)}
	for _, f := range faces {
		if _, ok := detectorMisses[f.name]; ok {
			continue
		}
		toChip, ok := geom.Similarity(f.face.Landmarks[:], template[:])
		if !ok {
			return bias{scale: math.Inf(1)}
		}
		ours := invertAffine(toChip)
		c0, c1, c3 := f.corners[0], f.corners[1], f.corners[3]
		dlibToChip := invertAffine(geom.Affine{
			float64(c1.X-c0.X) / s, float64(c3.X-c0.X) / s, float64(c0.X),
			float64(c1.Y-c0.Y) / s, float64(c3.Y-c0.Y) / s, float64(c0.Y)})
		a, o := dlibToChip.Apply(ours.Apply(geom.Point{})), dlibToChip.Apply(ours.Apply(geom.Point{X: float32(s)}))
		b.scale += float64(geom.Dist(a, o)) / s
		m := dlibToChip.Apply(ours.Apply(c))
		b.dx += float64(m.X-c.X) / s
		b.dy += float64(m.Y-c.Y) / s
		n++
	}
	return bias{b.scale / float64(n), b.dx / float64(n), b.dy / float64(n)}
}

// landmarkDisagreement is the mean distance between YuNet's five points
// and face-api's at the same places, over YuNet's eye distance.
func landmarkDisagreement(f referenceFace) float64 {
	mean := func(ps []geom.Point) geom.Point {
		var m geom.Point
		for _, p := range ps {
			m.X, m.Y = m.X+p.X/float32(len(ps)), m.Y+p.Y/float32(len(ps))
		}
		return m
	}
	theirs := [5]geom.Point{mean(f.marks[36:42]), mean(f.marks[42:48]), f.marks[30], f.marks[48], f.marks[54]}
	sum := float32(0)
	for i, p := range theirs {
		sum += geom.Dist(p, f.face.Landmarks[i])
	}
	return float64(sum / 5 / geom.Dist(f.face.Landmarks[0], f.face.Landmarks[1]))
}

// cornerError is the largest distance between the chip's corners mapped
// into the photo by the template's transform and by dlib's, over the
// side of dlib's chip in the photo.
func cornerError(f referenceFace, template geom.Landmarks, side int) float64 {
	toChip, ok := geom.Similarity(f.face.Landmarks[:], template[:])
	if !ok {
		return math.Inf(1)
	}
	back := invertAffine(toChip)
	s := float32(side - 1)
	worst := 0.0
	for i, p := range []geom.Point{{}, {X: s}, {X: s, Y: s}, {Y: s}} {
		worst = max(worst, float64(geom.Dist(back.Apply(p), f.corners[i])))
	}
	return worst / float64(geom.Dist(f.corners[0], f.corners[1]))
}

func invertAffine(a geom.Affine) geom.Affine {
	det := a[0]*a[4] - a[1]*a[3]
	i0, i1, i3, i4 := a[4]/det, -a[1]/det, -a[3]/det, a[0]/det
	return geom.Affine{i0, i1, -(i0*a[2] + i1*a[5]), i3, i4, -(i3*a[2] + i4*a[5])}
}

// scaledTemplate scales t by k about (c, c).
func scaledTemplate(t geom.Landmarks, c, k float32) geom.Landmarks {
	for i := range t {
		t[i] = geom.Point{X: c + (t[i].X-c)*k, Y: c + (t[i].Y-c)*k}
	}
	return t
}

func movedTemplate(t geom.Landmarks, dx, dy float32) geom.Landmarks {
	for i := range t {
		t[i].X, t[i].Y = t[i].X+dx, t[i].Y+dy
	}
	return t
}

// dlibReference detects the largest face of each photo with YuNet, finds
// its 68 landmarks with face-api's network (Node) and has dlib (a small
// C++ program compiled here against Debian's libdlib-dev) cut its chip.
func dlibReference(t *testing.T) []referenceFace {
	pkg, err := dlibconv.PackageDir()
	if err != nil {
		t.Skip(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed for face-api's landmarker: ", err)
	}
	if _, err := os.Stat("/usr/include/dlib/image_transforms.h"); err != nil {
		t.Fatal("dlib's headers are needed for the reference chip (apt-get install libdlib-dev; deploy/install-deps.sh): ", err)
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "dlib_chip")
	// dlib's headers call BLAS and LAPACK; Debian's libdlib19.1 brings
	// their runtime libraries but not the unversioned names.
	cc := exec.Command("g++", "-O1", "-std=c++14", "testdata/dlib_chip.cpp", "-o", prog, "-ldlib", "-l:liblapack.so.3", "-l:libblas.so.3")
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cc, err, out)
	}

	det := newDetector(t, DetectorOptions{})
	var faces []referenceFace
	var crops bytes.Buffer
	var origins []geom.Affine // crop pixel → photo pixel
	for _, p := range referencePhotos(t) {
		dets, err := det.Detect(p.img)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		f, ok := Largest(dets)
		if !ok {
			t.Fatalf("%s: YuNet finds no face", p.name)
		}
		crop, back := squareCrop(p.img, f.Box)
		crops.Write(rgbBytes(t, crop))
		crop.Close()
		origins = append(origins, back)
		faces = append(faces, referenceFace{name: p.name, img: p.img, face: f})
	}

	cropsFile, pointsFile := filepath.Join(dir, "crops.rgb"), filepath.Join(dir, "points.f32")
	if err := os.WriteFile(cropsFile, crops.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/landmarks68.mjs", pkg, cropsFile, strconv.Itoa(landmarkCrop), pointsFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	raw, err := os.ReadFile(pointsFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*136*len(faces) {
		t.Fatalf("landmarker wrote %d bytes, want %d", len(raw), 4*136*len(faces))
	}

	var in strings.Builder
	for i := range faces {
		img := filepath.Join(dir, fmt.Sprintf("img%d.rgb", i))
		if err := os.WriteFile(img, rgbBytes(t, faces[i].img), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&in, "%s %d %d %s", img, faces[i].img.Cols(), faces[i].img.Rows(), filepath.Join(dir, fmt.Sprintf("chip%d.rgb", i)))
		for j := range 68 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*136+2*j):]))
			y := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*136+2*j+1):]))
			q := origins[i].Apply(geom.Point{X: x, Y: y})
			faces[i].marks[j] = q
			fmt.Fprintf(&in, " %g %g", q.X, q.Y)
		}
		in.WriteString("\n")
	}
	run := exec.Command(prog)
	run.Stdin = strings.NewReader(in.String())
	out, err := run.Output()
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(faces) {
		t.Fatalf("dlib_chip gave %d lines for %d faces", len(lines), len(faces))
	}
	side := models.DlibResNetV1.InputWidth
	for i, l := range lines {
		var c [8]float32
		if _, err := fmt.Sscan(l, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]); err != nil {
			t.Fatalf("dlib_chip line %q: %v", l, err)
		}
		for k := range 4 {
			faces[i].corners[k] = geom.Point{X: c[2*k], Y: c[2*k+1]}
		}
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("chip%d.rgb", i)))
		if err != nil {
			t.Fatal(err)
		}
		rgb, err := gocv.NewMatFromBytes(side, side, gocv.MatTypeCV8UC3, b)
		if err != nil {
			t.Fatal(err)
		}
		faces[i].chip = gocv.NewMat()
		gocv.CvtColor(rgb, &faces[i].chip, gocv.ColorBGRToRGB)
		rgb.Close()
		t.Cleanup(func() { faces[i].chip.Close() })
	}
	return faces
}

type referencePhoto struct {
	name string
	img  gocv.Mat
}

// referencePhotos are every person's photos of known_faces_small and a
// few LFW crops, each set in a black border so YuNet sees a whole face
// and both chips reach past the crop the same way.
func referencePhotos(t *testing.T) []referencePhoto {
	var out []referencePhoto
	all := photos(t)
	for _, person := range slices.Sorted(maps.Keys(all)) {
		for _, p := range all[person] {
			out = append(out, referencePhoto{person + "/" + filepath.Base(p), readImage(t, p)})
		}
	}
	lfw := filepath.Join(shared.Need(t, "datasets/lfw_112x112"), "images")
	for _, name := range []string{"AJ_Cook/AJ_Cook_0001.jpg", "Aaron_Pena/Aaron_Pena_0001.jpg", "Angela_Bassett/Angela_Bassett_0001.jpg", "Colin_Powell/Colin_Powell_0001.jpg", "Gloria_Gaynor/Gloria_Gaynor_0001.jpg", "Kostya_Tszyu/Kostya_Tszyu_0001.jpg", "Tony_Blair/Tony_Blair_0001.jpg"} {
		crop := readImage(t, filepath.Join(lfw, name))
		framed := gocv.NewMat()
		gocv.CopyMakeBorder(crop, &framed, 56, 56, 56, 56, gocv.BorderConstant, color.RGBA{})
		t.Cleanup(func() { framed.Close() })
		out = append(out, referencePhoto{"lfw/" + filepath.Base(name), framed})
	}
	return out
}

// squareCrop cuts the square around a face box, landmarkCrop pixels on a
// side, and returns the crop-to-photo map of its pixels.
func squareCrop(img gocv.Mat, box geom.Rect) (gocv.Mat, geom.Affine) {
	side := cropGrow * max(box.W, box.H)
	x0, y0 := box.X+box.W/2-side/2, box.Y+box.H/2-side/2
	k := float64(landmarkCrop) / float64(side)
	toCrop := geom.Affine{k, 0, -k * float64(x0), 0, k, -k * float64(y0)}
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i, v := range toCrop {
		m.SetDoubleAt(i/3, i%3, v)
	}
	crop := gocv.NewMat()
	gocv.WarpAffineWithParams(img, &crop, m, image.Pt(landmarkCrop, landmarkCrop), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	return crop, invertAffine(toCrop)
}

// rgbBytes is a BGR Mat as HWC RGB bytes.
func rgbBytes(t *testing.T, bgr gocv.Mat) []byte {
	rgb := gocv.NewMat()
	defer rgb.Close()
	gocv.CvtColor(bgr, &rgb, gocv.ColorBGRToRGB)
	b, err := rgb.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(b)
}
