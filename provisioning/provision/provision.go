// Package provision is the box's side of provisioning by claim: from the
// claim a technician scans or types to a provisioning directory the agent
// runs on. Run does the steps one after another, telling each as it starts
// and as it ends; it talks to the city's enrolment server (EST) through the
// City interface, which *est.Client satisfies.
package provision

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/doctor"
	"github.com/roomgate/roomgate/provisioning/est"
)

// City is the city's enrolment server as the box uses it. The methods are
// *est.Client's.
type City interface {
	CACerts(ctx context.Context) ([]*x509.Certificate, error)
	SimpleEnroll(ctx context.Context, device, token string, csrDER []byte) (*x509.Certificate, error)
	Config(ctx context.Context, current tls.Certificate) (*est.Bundle, error)
}

// Connect opens the enrolment server a claim names, pinned to its CA's
// fingerprint: est.NewClient.
type Connect func(baseURL, caFingerprint string) (City, error)

// The steps, in order, as events and failures name them.
const (
	StepClaim    = "claim"
	StepKey      = "key"
	StepCSR      = "csr"
	StepCA       = "ca"
	StepEnrol    = "enrol"
	StepConfig   = "config"
	StepValidate = "validate"
	StepWrite    = "write"
	StepDone     = "done"
)

// Steps are the step names in the order Run takes them.
var Steps = []string{StepClaim, StepKey, StepCSR, StepCA, StepEnrol, StepConfig, StepValidate, StepWrite, StepDone}

// titles say what each step does.
var titles = map[string]doctor.Text{
	StepClaim:    {EN: "Read the claim", VI: "Đọc mã cấp phép"},
	StepKey:      {EN: "Make the box's key", VI: "Tạo khóa của thiết bị"},
	StepCSR:      {EN: "Make the certificate request", VI: "Tạo yêu cầu chứng thư"},
	StepCA:       {EN: "Check the city's certificate authority", VI: "Kiểm tra cơ quan cấp chứng thư của thành phố"},
	StepEnrol:    {EN: "Get the box's certificate", VI: "Nhận chứng thư của thiết bị"},
	StepConfig:   {EN: "Get the box's first config", VI: "Nhận cấu hình đầu tiên"},
	StepValidate: {EN: "Check the certificate and the config", VI: "Kiểm tra chứng thư và cấu hình"},
	StepWrite:    {EN: "Save the provisioning", VI: "Lưu cấp phép"},
	StepDone:     {EN: "Provisioned", VI: "Đã cấp phép"},
}

// States of a step in an Event.
const (
	Running = "running"
	OK      = "ok"
	Warning = "warning" // done, with something the technician should know
	Failed  = "failed"
)

// Event is a step starting or ending. Detail is for the technician (names,
// counts, error texts); it never holds the claim's token.
type Event struct {
	Step   string       `json:"step"`
	State  string       `json:"state"`
	Title  doctor.Text  `json:"title"`
	Detail string       `json:"detail,omitempty"`
	Reason string       `json:"reason,omitempty"`
	Remedy *doctor.Text `json:"remedy,omitempty"`
}

// Error is why Run failed: at which step, the reason code (est.Reason* or
// this package's), and the details for the technician.
type Error struct {
	Step   string
	Reason string
	Detail string
}

func (e *Error) Error() string {
	return fmt.Sprintf("provision: %s: %s: %s", e.Step, e.Reason, e.Detail)
}

// Remedy says what to do about the failure.
func (e *Error) Remedy() doctor.Text { return Remedy(e.Reason) }

// Owner is the user and group the written files get; nil keeps the
// process's own (the agent's service user).
type Owner struct{ UID, GID int }

// Options configure Run.
type Options struct {
	Dir     string  // the provisioning directory (config's provisioning.dir)
	Connect Connect // reaches the claim's enrolment server
	Owner   *Owner
	Now     func() time.Time // the box's clock, for the claim's expiry; time.Now when nil
}

// Result is what Run provisioned.
type Result struct {
	Device, Kind, Site string
	Config             string // the path of the provisioned roomgate.yaml
	NotAfter           time.Time
}

// Run provisions the box from a claim's text: it reads the claim, makes the
// key on the box (or takes the one staged by an interrupted attempt with the
// same claim), enrols it with the city, fetches and checks the first config
// and swaps the new provisioning directory in whole. report, when not nil,
// hears each step start and end. On any failure the previous provisioning
// is left as it was.
func Run(ctx context.Context, claimText string, opts Options, report func(Event)) (Result, error) {
	if report == nil {
		report = func(Event) {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &run{opts: opts, report: report}
	res, err := r.steps(ctx, claimText)
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			pe = &Error{Step: r.step, Reason: ReasonLocal, Detail: err.Error()}
		}
		if ctx.Err() != nil {
			pe = &Error{Step: r.step, Reason: ReasonStopped, Detail: ctx.Err().Error()}
		}
		remedy := pe.Remedy()
		report(Event{Step: pe.Step, State: Failed, Title: titles[pe.Step], Detail: pe.Detail, Reason: pe.Reason, Remedy: &remedy})
		return Result{}, pe
	}
	return res, nil
}

// run is one provisioning in progress.
type run struct {
	opts   Options
	report func(Event)
	step   string // the step under way
}

// start tells that a step begins; it fails when ctx has ended, so an
// interrupted run stops between steps.
func (r *run) start(ctx context.Context, step string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.step = step
	r.report(Event{Step: step, State: Running, Title: titles[step]})
	return nil
}

func (r *run) ok(detail string) {
	r.report(Event{Step: r.step, State: OK, Title: titles[r.step], Detail: detail})
}

// fail is a failure of the step under way.
func (r *run) fail(reason, format string, args ...any) error {
	return &Error{Step: r.step, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// cityFail is a failure the city or the EST client gave.
func (r *run) cityFail(err error) error {
	reason := est.ReasonOf(err)
	if reason == "" {
		reason = est.ReasonBadResponse
	}
	return &Error{Step: r.step, Reason: reason, Detail: err.Error()}
}

func (r *run) steps(ctx context.Context, text string) (Result, error) {
	if err := r.start(ctx, StepClaim); err != nil {
		return Result{}, err
	}
	c, err := claim.Parse(text)
	if err != nil {
		return Result{}, r.fail(ReasonClaimInvalid, "%v", err)
	}
	about := fmt.Sprintf("%s %s at %s, enrolment %s", c.Kind, c.Device, c.Site, c.URL)
	if c.Expired(r.opts.Now()) {
		remedy := Remedy(ReasonClaimExpired)
		r.report(Event{Step: StepClaim, State: Warning, Title: titles[StepClaim], Reason: ReasonClaimExpired, Remedy: &remedy,
			Detail: about + "; expired " + time.Unix(c.Expires, 0).UTC().Format(time.RFC3339) + " by this box's clock"})
	} else {
		r.ok(about)
	}

	if err := r.start(ctx, StepKey); err != nil {
		return Result{}, err
	}
	dirs := dirsOf(r.opts.Dir)
	unlock, err := lock(dirs)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	st, reused, err := stage(dirs, c, r.opts.Owner)
	if err != nil {
		return Result{}, r.fail(ReasonLocal, "%v", err)
	}
	if reused {
		r.ok("the key of the interrupted attempt with this claim, kept on the box")
	} else {
		r.ok("ECDSA P-256, kept on the box")
	}

	if err := r.start(ctx, StepCSR); err != nil {
		return Result{}, err
	}
	csr, err := newCSR(c.Device, st.key)
	if err != nil {
		return Result{}, r.fail(ReasonLocal, "%v", err)
	}
	r.ok("CN=" + c.Device)

	if err := r.start(ctx, StepCA); err != nil {
		return Result{}, err
	}
	city, err := r.opts.Connect(c.URL, c.CA)
	if err != nil {
		return Result{}, r.cityFail(err)
	}
	cas, err := city.CACerts(ctx)
	if err != nil {
		return Result{}, r.cityFail(err)
	}
	ca := pinned(cas, c.CA)
	if ca == nil {
		return Result{}, r.fail(est.ReasonCAMismatch, "none of the %d CA certificates has the claim's fingerprint %s", len(cas), c.CA)
	}
	r.ok(ca.Subject.CommonName + " " + c.CA)

	if err := r.start(ctx, StepEnrol); err != nil {
		return Result{}, err
	}
	cert, err := city.SimpleEnroll(ctx, c.Device, c.Token, csr)
	if err != nil {
		return Result{}, r.cityFail(err)
	}
	r.ok(fmt.Sprintf("CN=%s, valid until %s", cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.DateOnly)))

	if err := r.start(ctx, StepConfig); err != nil {
		return Result{}, err
	}
	bundle, err := city.Config(ctx, tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: st.key, Leaf: cert})
	if err != nil {
		return Result{}, r.cityFail(err)
	}
	if bundle == nil {
		return Result{}, r.fail(est.ReasonBadResponse, "no config")
	}
	r.ok(fmt.Sprintf("%d bytes of config and %d files", len(bundle.Config), len(bundle.Files)))

	if err := r.start(ctx, StepValidate); err != nil {
		return Result{}, err
	}
	if err := checkCert(cert, ca, st.key, c.Device); err != nil {
		return Result{}, r.fail(ReasonCertInvalid, "%v", err)
	}
	if err := checkBundle(bundle, c); err != nil {
		return Result{}, r.fail(ReasonConfigInvalid, "%v", err)
	}
	if err := st.put(cert, ca, bundle); err != nil {
		return Result{}, r.fail(ReasonLocal, "%v", err)
	}
	if err := checkConfig(c, st.dir); err != nil {
		return Result{}, r.fail(ReasonConfigInvalid, "%v", err)
	}
	r.ok("the certificate chains to the city's CA for client authentication; the config validates")

	if err := r.start(ctx, StepWrite); err != nil {
		return Result{}, err
	}
	if err := st.commit(dirs); err != nil {
		return Result{}, r.fail(ReasonLocal, "%v", err)
	}
	r.ok(r.opts.Dir)

	r.step = StepDone
	r.report(Event{Step: StepDone, State: OK, Title: titles[StepDone], Detail: fmt.Sprintf("%s %s at %s", c.Kind, c.Device, c.Site)})
	return Result{Device: c.Device, Kind: c.Kind, Site: c.Site, Config: dirs.configPath(), NotAfter: cert.NotAfter}, nil
}

// pinned is the certificate among cas whose DER has the claim's fingerprint.
func pinned(cas []*x509.Certificate, fingerprint string) *x509.Certificate {
	for _, c := range cas {
		if c != nil && claim.Fingerprint(c.Raw) == fingerprint {
			return c
		}
	}
	return nil
}

// checkCert accepts the city's certificate for this box: its key, its name,
// issued by the pinned CA for client authentication. The box's clock is not
// trusted before provisioning (no time sync may have happened yet), so the
// chain is checked at the certificate's own start.
func checkCert(cert, ca *x509.Certificate, key *ecdsa.PrivateKey, device string) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("the certificate is not for this box's key")
	}
	if cert.Subject.CommonName != device {
		return fmt.Errorf("the certificate names %q, the claim %q", cert.Subject.CommonName, device)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: cert.NotBefore.Add(time.Second), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return fmt.Errorf("the certificate does not chain to the city's CA for client authentication: %w", err)
	}
	return nil
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// newCSR is the request for device's certificate with key.
func newCSR(device string, key *ecdsa.PrivateKey) ([]byte, error) {
	return x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: device}}, key)
}
