package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Pinger sends a message through the city's broker to the box itself and
// waits for it.
type Pinger interface {
	Ping(ctx context.Context) (time.Duration, error)
}

// City is the box's link to the city as the config names it.
type City struct {
	Broker string      // ssl://host:port
	TLS    *tls.Config // the city CA and the box's client certificate
	Ping   Pinger
	// Resolver and Dial default to the system's.
	Resolver *net.Resolver
	Now      func() time.Time
}

// CertWarnDays is how close to its expiry the box's certificate gets a warning.
const CertWarnDays = 30

// cityStep is how long each network step of the city check may take.
const cityStep = 5 * time.Second

// CityCheck checks, in order, DNS, TCP, the TLS handshake with the box's
// certificate, that certificate's validity and days left, and a round trip
// through the broker. The first step that fails ends it.
func CityCheck(c City) Check {
	return Check{Name: "city", Run: func(ctx context.Context) Result {
		var steps []string
		step := func(name string, fn func(context.Context) error) error {
			start := time.Now()
			sctx, cancel := context.WithTimeout(ctx, cityStep)
			defer cancel()
			err := fn(sctx)
			if err == nil {
				steps = append(steps, fmt.Sprintf("%s %v", name, time.Since(start).Round(time.Millisecond)))
			}
			return err
		}
		detail := func(err error) string {
			return strings.Join(append(steps, err.Error()), "; ")
		}
		u, err := url.Parse(c.Broker)
		if err != nil || u.Hostname() == "" || u.Port() == "" {
			return fail(Text{EN: "the broker's address is not valid", VI: "địa chỉ máy chủ MQTT không hợp lệ"}, fmt.Sprintf("sync.broker %q", c.Broker),
				Text{EN: "Set sync.broker to ssl://host:port as city IT gave it.", VI: "Đặt sync.broker dạng ssl://host:port theo thông tin của CNTT thành phố."})
		}
		host, port := u.Hostname(), u.Port()
		var addrs []string
		if err := step("dns", func(ctx context.Context) (err error) {
			addrs, err = c.resolver().LookupHost(ctx, host)
			return err
		}); err != nil {
			return fail(Text{EN: "the city's broker name does not resolve", VI: "không phân giải được tên máy chủ của thành phố"}, detail(err),
				Text{EN: "Check the network cable and the DNS server (DHCP or /etc/resolv.conf).", VI: "Kiểm tra cáp mạng và máy chủ DNS (DHCP hoặc /etc/resolv.conf)."})
		}
		var conn net.Conn
		if err := step("tcp", func(ctx context.Context) (err error) {
			conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], port))
			return err
		}); err != nil {
			return fail(Text{EN: "the city's broker cannot be reached", VI: "không kết nối được máy chủ của thành phố"}, detail(err),
				Text{EN: "Ask city IT whether the firewall lets this box reach the broker's port.", VI: "Hỏi CNTT thành phố xem tường lửa có cho thiết bị kết nối cổng của máy chủ không."})
		}
		defer conn.Close()
		cfg := c.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := step("tls", tc.HandshakeContext); err != nil {
			return fail(Text{EN: "the secure connection to the city failed", VI: "kết nối bảo mật tới thành phố thất bại"}, detail(err),
				Text{EN: "The box's certificate or the city CA is wrong or revoked: provision the box again with a new claim from city IT.",
					VI: "Chứng thư của thiết bị hoặc CA của thành phố sai hoặc đã bị thu hồi: cấp phát lại thiết bị bằng mã mới từ CNTT thành phố."})
		}
		cert, err := clientCert(cfg)
		if err != nil {
			return fail(Text{EN: "the box has no usable certificate", VI: "thiết bị không có chứng thư dùng được"}, detail(err),
				Text{EN: "Provision the box again with a new claim from city IT.", VI: "Cấp phát lại thiết bị bằng mã mới từ CNTT thành phố."})
		}
		now := c.now()
		days := int(cert.NotAfter.Sub(now).Hours() / 24)
		steps = append(steps, fmt.Sprintf("certificate %s valid until %s (%d days)", cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.DateOnly), days))
		if now.Before(cert.NotBefore) || !now.Before(cert.NotAfter) {
			return fail(Text{EN: "the box's certificate is not valid now", VI: "chứng thư của thiết bị hiện không hợp lệ"}, detail(errors.New("outside its validity")),
				Text{EN: "If the clock is right, provision the box again; if not, fix the clock first.", VI: "Nếu đồng hồ đúng, cấp phát lại thiết bị; nếu không, sửa đồng hồ trước."})
		}
		if c.Ping != nil {
			if err := step("ping", func(ctx context.Context) error {
				_, err := c.Ping.Ping(ctx)
				return err
			}); err != nil {
				return fail(Text{EN: "messages do not go through the city's broker", VI: "tin nhắn không đi qua được máy chủ của thành phố"}, detail(err),
					Text{EN: "The connection works but the broker refuses this box's topics: ask city IT to check the broker's ACL and that the box is not revoked.",
						VI: "Kết nối được nhưng máy chủ từ chối các chủ đề của thiết bị: nhờ CNTT thành phố kiểm tra ACL và thiết bị chưa bị thu hồi."})
			}
		}
		d := strings.Join(steps, "; ")
		if days < CertWarnDays {
			return warn(Text{EN: "the box's certificate expires soon", VI: "chứng thư của thiết bị sắp hết hạn"}, d,
				Text{EN: "It renews by itself when the box reaches the city; if it does not, provision the box again.", VI: "Chứng thư tự gia hạn khi thiết bị kết nối được thành phố; nếu không, cấp phát lại thiết bị."})
		}
		return ok(Text{EN: "the city link works", VI: "kết nối tới thành phố hoạt động tốt"}, d)
	}}
}

func (c City) resolver() *net.Resolver {
	if c.Resolver != nil {
		return c.Resolver
	}
	return net.DefaultResolver
}

func (c City) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func clientCert(cfg *tls.Config) (*x509.Certificate, error) {
	if len(cfg.Certificates) == 0 || len(cfg.Certificates[0].Certificate) == 0 {
		return nil, errors.New("no client certificate in the TLS config")
	}
	if leaf := cfg.Certificates[0].Leaf; leaf != nil {
		return leaf, nil
	}
	return x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
}
