package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"

	"github.com/roomgate/roomgate/provisioning/est"
	"github.com/roomgate/roomgate/provisioning/provision"
	"github.com/roomgate/roomgate/provisioning/renew"
)

// renewCertificate keeps a box provisioned by claim in a certificate: it
// renews it with the city's enrolment server two thirds into its life. The
// link presents the new one from its next connection (tlsfiles).
func (s *System) renewCertificate(ctx context.Context) {
	dir, url := s.opts.ProvisioningDir, s.cfg.Provisioning.URL
	loop := &renew.Loop{
		Current: func() (*x509.Certificate, error) {
			pair, err := tls.LoadX509KeyPair(s.path(s.cfg.Sync.CertFile), s.path(s.cfg.Sync.KeyFile))
			return pair.Leaf, err
		},
		Renew: func(ctx context.Context) error {
			cert, err := provision.Renew(ctx, dir, url, connectRenewal)
			if err == nil {
				s.log.Info("the box's certificate was renewed", "component", "renew", "serial", cert.SerialNumber.Text(16), "expires", cert.NotAfter)
			}
			return err
		},
		Log: s.log,
	}
	loop.Run(ctx)
}

func connectRenewal(url, caFingerprint string) (provision.Reenroller, error) {
	return est.NewClient(url, caFingerprint)
}
