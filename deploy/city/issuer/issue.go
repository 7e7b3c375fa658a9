package issuer

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"
)

// NewPassID returns a random UUIDv7, whose time prefix keeps pass ids in
// issue order in the city's records.
func NewPassID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("issuer: pass id: %w", err)
	}
	return id.String(), nil
}

// QRSize is the side of a QR PNG in pixels: enough for a phone screen or a
// printed badge to be read by a gate scanner.
const QRSize = 512

// WriteQRPNG writes token as a QR code PNG of QRSize pixels, with medium
// error correction so a creased printout still scans. The file is made
// private (0600), an existing one too: whoever reads it can walk in.
func WriteQRPNG(path, token string) error {
	q, err := qrcode.New(token, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("issuer: qr: %w", err)
	}
	png, err := q.PNG(QRSize)
	if err != nil {
		return fmt.Errorf("issuer: qr: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("issuer: qr: %w", err)
	}
	// OpenFile keeps the mode of a file that exists already.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(png)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("issuer: qr: %w", err)
	}
	return nil
}

// QRText returns token as a QR code drawn with Unicode half blocks, for a
// terminal with light text on a dark background. Low error correction keeps
// it small enough for an 80-column terminal; a screen is not creased.
func QRText(token string) (string, error) {
	q, err := qrcode.New(token, qrcode.Low)
	if err != nil {
		return "", fmt.Errorf("issuer: qr: %w", err)
	}
	return q.ToSmallString(false), nil
}
