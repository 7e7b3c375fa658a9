package doctor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// PersonWait is how long an interactive check waits for the technician.
const PersonWait = 30 * time.Second

// Port is a device reached through a port that either opens or does not.
type Port interface {
	// CheckOpen reports why the port cannot be opened (or, held by the
	// running agent, why it is not connected), nil when it is fine.
	CheckOpen(ctx context.Context) error
}

// ScanWaiter waits for one scan on a scanner.
type ScanWaiter interface {
	// WaitScan returns the length of the next line scanned; its content
	// stays out of the report (a pass names its holder).
	WaitScan(ctx context.Context) (length int, err error)
}

// ScannerCheck checks that the scanner's port opens.
func ScannerCheck(name string, p Port) Check {
	return Check{Name: "scanner:" + name, Run: func(ctx context.Context) Result {
		if err := p.CheckOpen(ctx); err != nil {
			return fail(Text{EN: "the scanner cannot be reached", VI: "không kết nối được máy quét"}, err.Error(),
				Text{EN: "Check the scanner's USB cable and that the path in the config (scanners[].path) names it; prefer /dev/serial/by-id/ paths.",
					VI: "Kiểm tra cáp USB của máy quét và đường dẫn trong cấu hình (scanners[].path); nên dùng đường dẫn /dev/serial/by-id/."})
		}
		return ok(Text{EN: "the scanner is connected", VI: "máy quét đã kết nối"}, "")
	}}
}

// ScanTest asks the technician to scan any code within wait.
func ScanTest(name string, w ScanWaiter, wait time.Duration) Check {
	return Check{Name: "scan:" + name, Interactive: true,
		Prompt: Text{EN: fmt.Sprintf("Scan any QR code on scanner %s within %v.", name, wait), VI: fmt.Sprintf("Quét một mã QR bất kỳ trên máy quét %s trong vòng %v.", name, wait)},
		Run: func(ctx context.Context) Result {
			ctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			n, err := w.WaitScan(ctx)
			if err != nil {
				return fail(Text{EN: "no scan arrived", VI: "không nhận được lần quét nào"}, err.Error(),
					Text{EN: "Hold the code 10–20 cm from the scanner's window; check its interface mode (serial/USB-COM or keyboard) matches the config.",
						VI: "Đưa mã cách cửa sổ máy quét 10–20 cm; kiểm tra chế độ giao tiếp của máy quét (serial/USB-COM hay bàn phím) khớp với cấu hình."})
			}
			return ok(Text{EN: "the scan arrived", VI: "đã nhận được lần quét"}, fmt.Sprintf("%d bytes", n))
		}}
}

// Door is the door's lines as the doctor needs them.
type Door interface {
	// Ready reports why the door's lines cannot be driven, nil when they can.
	Ready() error
	// Wired says which of the relay, door sensor and exit button the
	// config wires.
	Wired() (relay, sensor, exit bool)
	// PulseAndWatch releases the door as for a grant and reports whether
	// the door sensor saw it open before ctx ends.
	PulseAndWatch(ctx context.Context) (opened bool, err error)
	// WaitExit waits for the exit button to be pressed.
	WaitExit(ctx context.Context) error
}

// DoorCheck checks that the door's lines are open; it moves nothing.
func DoorCheck(d Door) Check {
	return Check{Name: "door", Run: func(ctx context.Context) Result {
		if err := d.Ready(); err != nil {
			return fail(Text{EN: "the door's relay and inputs cannot be driven", VI: "không điều khiển được rơ-le và cảm biến cửa"}, err.Error(),
				Text{EN: "Check the GPIO wiring and the board and gpio sections of the config; scans are denied until this is fixed.",
					VI: "Kiểm tra dây GPIO và mục board, gpio trong cấu hình; mọi lần quét bị từ chối cho đến khi khắc phục."})
		}
		relay, sensor, exit := d.Wired()
		return ok(Text{EN: "the door's lines are ready", VI: "các đường điều khiển cửa đã sẵn sàng"}, fmt.Sprintf("relay %v, door sensor %v, exit button %v", relay, sensor, exit))
	}}
}

// DoorLoop releases the door and watches its sensor: the relay ↔ sensor
// loop. It moves the door, so it runs only when the technician asks.
func DoorLoop(d Door, wait time.Duration) Check {
	return Check{Name: "door-loop", Interactive: true,
		Prompt: Text{EN: "The door is released now: push it open within the pulse.", VI: "Cửa sẽ được mở khóa ngay: đẩy cửa mở trong thời gian mở khóa."},
		Run: func(ctx context.Context) Result {
			relay, sensor, _ := d.Wired()
			if !relay || !sensor {
				return ok(Text{EN: "no relay and door sensor pair to test", VI: "không có cặp rơ-le và cảm biến cửa để kiểm tra"}, fmt.Sprintf("relay %v, door sensor %v", relay, sensor))
			}
			ctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			opened, err := d.PulseAndWatch(ctx)
			switch {
			case err != nil:
				return fail(Text{EN: "the relay could not be pulsed", VI: "không kích được rơ-le"}, err.Error(),
					Text{EN: "Check the relay's wiring and power supply.", VI: "Kiểm tra dây và nguồn của rơ-le."})
			case !opened:
				return fail(Text{EN: "the door sensor did not see the door open", VI: "cảm biến cửa không ghi nhận cửa mở"}, "",
					Text{EN: "Check the lock releases when the relay clicks, and the door sensor's wiring and active_low setting.",
						VI: "Kiểm tra khóa nhả khi rơ-le kêu, dây cảm biến cửa và thiết lập active_low."})
			}
			return ok(Text{EN: "the relay released the door and the sensor saw it open", VI: "rơ-le đã mở khóa và cảm biến ghi nhận cửa mở"}, "")
		}}
}

// ExitButton asks the technician to press the exit button within wait.
func ExitButton(d Door, wait time.Duration) Check {
	return Check{Name: "exit-button", Interactive: true,
		Prompt: Text{EN: fmt.Sprintf("Press the exit button within %v.", wait), VI: fmt.Sprintf("Nhấn nút thoát trong vòng %v.", wait)},
		Run: func(ctx context.Context) Result {
			if _, _, exit := d.Wired(); !exit {
				return ok(Text{EN: "no exit button is wired", VI: "không có nút thoát được nối"}, "")
			}
			ctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			if err := d.WaitExit(ctx); err != nil {
				return fail(Text{EN: "the exit button press did not arrive", VI: "không nhận được tín hiệu nút thoát"}, err.Error(),
					Text{EN: "Check the exit button's wiring, bias and active_low setting.", VI: "Kiểm tra dây nút thoát, thiết lập bias và active_low."})
			}
			return ok(Text{EN: "the exit button works", VI: "nút thoát hoạt động"}, "")
		}}
}

// Terminal is the room's conference terminal.
type Terminal interface {
	// Status sends the terminal a status request and reports why it was
	// not answered.
	Status(ctx context.Context) error
}

// TerminalCheck checks that the conference terminal answers a status request.
func TerminalCheck(name string, t Terminal) Check {
	return Check{Name: "terminal:" + name, Run: func(ctx context.Context) Result {
		if err := t.Status(ctx); err != nil {
			return fail(Text{EN: "the conference terminal does not answer", VI: "thiết bị hội nghị truyền hình không trả lời"}, err.Error(),
				Text{EN: "Check the terminal is on, its cable (RS-232 or network) and the terminal section of the config (port or address, password).",
					VI: "Kiểm tra thiết bị hội nghị đang bật, cáp (RS-232 hoặc mạng) và mục terminal trong cấu hình (cổng hoặc địa chỉ, mật khẩu)."})
		}
		return ok(Text{EN: "the conference terminal answers", VI: "thiết bị hội nghị truyền hình trả lời"}, "")
	}}
}

// Camera is the camera as the running face engine or a probe sees it.
type Camera interface {
	// Sample watches the camera for d and says what came.
	Sample(ctx context.Context, d time.Duration) (CameraSample, error)
}

// CameraSample is what the camera gave over a while.
type CameraSample struct {
	Width, Height int
	Frames        int
	FPS           float64
}

// CameraWant is what the config asks of the camera.
type CameraWant struct {
	Width, Height int     // 0: any size
	FPS           float64 // the config's max_fps; 0: as they come
}

// ModelFile is a face model file and the sha256 the face engine expects.
type ModelFile struct {
	Name, Path, SHA256 string
	// ResearchOnly marks a model licensed for research only: it runs, but
	// may not be deployed at a city site.
	ResearchOnly bool
}

// CameraSampleTime is how long the camera is watched.
const CameraSampleTime = 2 * time.Second

// CameraCheck checks the model files' hashes, then the frames' size and
// rate against the config.
func CameraCheck(name string, c Camera, want CameraWant, models []ModelFile) Check {
	return Check{Name: "camera:" + name, Run: func(ctx context.Context) Result {
		for _, m := range models {
			if err := verifyFile(m.Path, m.SHA256); err != nil {
				return fail(Text{EN: "a face model file is wrong", VI: "tệp mô hình nhận diện khuôn mặt không đúng"}, fmt.Sprintf("%s: %v", m.Name, err),
					Text{EN: "Reinstall the roomgate package, or put back the model file the config names (vision.detector_model, vision.recognizer_model) with its sha256.",
						VI: "Cài lại gói roomgate, hoặc chép lại tệp mô hình mà cấu hình chỉ định (vision.detector_model, vision.recognizer_model) đúng sha256."})
			}
		}
		s, err := c.Sample(ctx, CameraSampleTime)
		if err == nil && s.Frames == 0 {
			err = errors.New("no frame")
		}
		if err != nil {
			return fail(Text{EN: "the camera gives no frames", VI: "camera không gửi hình"}, err.Error(),
				Text{EN: "Check the camera's cable and that vision.camera.path names it (/dev/v4l/by-id/ paths survive replugging).",
					VI: "Kiểm tra cáp camera và đường dẫn vision.camera.path (nên dùng /dev/v4l/by-id/)."})
		}
		detail := fmt.Sprintf("%dx%d at %.1f fps (%d frames in %v); models %d checked", s.Width, s.Height, s.FPS, s.Frames, CameraSampleTime, len(models))
		if want.Width > 0 && (s.Width != want.Width || s.Height != want.Height) {
			return warn(Text{EN: "the camera's frames are not the size configured", VI: "kích thước hình của camera khác cấu hình"},
				fmt.Sprintf("%s; configured %dx%d", detail, want.Width, want.Height),
				Text{EN: "Set vision.camera.width and height to a size the camera offers (`v4l2-ctl --list-formats-ext`).",
					VI: "Đặt vision.camera.width và height theo kích thước camera hỗ trợ (`v4l2-ctl --list-formats-ext`)."})
		}
		if want.FPS > 0 && s.FPS < want.FPS/2 {
			return warn(Text{EN: "the camera is slow", VI: "camera chậm"}, fmt.Sprintf("%s; configured max_fps %.1f", detail, want.FPS),
				Text{EN: "Improve the light (cameras slow down in the dark), use a USB 2 port of its own, or lower the size.",
					VI: "Tăng ánh sáng (camera chậm lại khi tối), cắm vào cổng USB riêng, hoặc giảm kích thước hình."})
		}
		for _, m := range models {
			if m.ResearchOnly {
				return warn(Text{EN: "the face recogniser may not be deployed at a city site", VI: "mô hình nhận diện khuôn mặt không được phép dùng tại cơ quan thành phố"},
					fmt.Sprintf("%s: %s is licensed for non-commercial research only", detail, m.Name),
					Text{EN: "Remove vision.recognizer from the config to run dlib_resnet_v1 (public domain), then enrol the people again from their photos.",
						VI: "Xóa vision.recognizer khỏi cấu hình để dùng dlib_resnet_v1 (thuộc phạm vi công cộng), rồi đăng ký lại khuôn mặt từ ảnh."})
			}
		}
		return ok(Text{EN: "the camera gives frames as configured", VI: "camera gửi hình đúng cấu hình"}, detail)
	}}
}

// CameraNotBuilt stands for the camera check in a build without the face
// engine: the box still takes QR passes.
func CameraNotBuilt(name string) Check {
	return Check{Name: "camera:" + name, Run: func(context.Context) Result {
		return warn(Text{EN: "the camera check is not in this build", VI: "bản cài đặt này không có kiểm tra camera"}, "built without -tags vision",
			Text{EN: "This is the gate-only build: install the roomgate package with the face engine (amd64) for face check-in, or remove the camera from the config.",
				VI: "Đây là bản chỉ dùng cho cổng: cài gói roomgate có nhận diện khuôn mặt (amd64) để điểm danh bằng khuôn mặt, hoặc bỏ camera khỏi cấu hình."})
	}}
}

func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("sha256 %s, want %s", got, want)
	}
	return nil
}
