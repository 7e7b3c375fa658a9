package provision

import (
	"github.com/roomgate/roomgate/provisioning/doctor"
	"github.com/roomgate/roomgate/provisioning/est"
)

// The box's own reasons for a failure, beside the city's and the EST
// client's (est.Reason*).
const (
	ReasonClaimInvalid  = "claim_invalid"  // the scan or argument is not a claim
	ReasonClaimExpired  = "claim_expired"  // by the box's clock; a warning only, the city decides
	ReasonCertInvalid   = "cert_invalid"   // the city's certificate does not fit the key, the claim or the CA
	ReasonConfigInvalid = "config_invalid" // the city's first config does not validate or names another box
	ReasonLocal         = "local_error"    // the box could not make its key or save the files
	ReasonBusy          = "busy"           // another provisioning is running on this box
	ReasonStopped       = "stopped"        // interrupted: the agent stopped or the command was cancelled
)

// remedies say what a technician does about each reason, in the kiosk's
// two languages. The previous provisioning, if any, is kept on every one.
var remedies = map[string]doctor.Text{
	ReasonClaimInvalid: {
		EN: "This is not a valid claim: scan the claim QR code again, or ask city IT for a new claim",
		VI: "Đây không phải mã cấp phép hợp lệ: quét lại mã QR cấp phép, hoặc xin phòng CNTT thành phố tạo mã mới",
	},
	ReasonClaimExpired: {
		EN: "The claim has expired by this box's clock; the city decides. If the city refuses it, ask city IT for a new claim",
		VI: "Mã cấp phép đã hết hạn theo đồng hồ của thiết bị; thành phố sẽ quyết định. Nếu bị từ chối, xin phòng CNTT thành phố tạo mã mới",
	},
	est.ReasonUnauthorized: {
		EN: "The city does not know this claim: ask city IT for a new claim",
		VI: "Thành phố không nhận ra mã cấp phép này: xin phòng CNTT thành phố tạo mã mới",
	},
	est.ReasonTokenExpired: {
		EN: "This claim has expired: ask city IT for a new claim",
		VI: "Mã cấp phép đã hết hạn: xin phòng CNTT thành phố tạo mã mới",
	},
	est.ReasonTokenUsed: {
		EN: "This claim was already used: ask city IT for a new claim",
		VI: "Mã đã được dùng: xin phòng CNTT thành phố tạo mã mới",
	},
	est.ReasonDeviceMismatch: {
		EN: "This claim is for another device: check the claim is the one made for this box, or ask city IT for a new claim",
		VI: "Mã cấp phép này dành cho thiết bị khác: kiểm tra đúng mã của thiết bị này, hoặc xin phòng CNTT thành phố tạo mã mới",
	},
	est.ReasonCSRInvalid: {
		EN: "The city refused the box's certificate request: tell city IT (give them this box's version)",
		VI: "Thành phố từ chối yêu cầu chứng thư của thiết bị: báo phòng CNTT thành phố (kèm phiên bản của thiết bị)",
	},
	est.ReasonRevoked: {
		EN: "The city has revoked this box: ask city IT",
		VI: "Thành phố đã thu hồi thiết bị này: liên hệ phòng CNTT thành phố",
	},
	est.ReasonRateLimited: {
		EN: "Too many tries from this network: wait ten minutes, then try again",
		VI: "Quá nhiều lần thử từ mạng này: chờ mười phút rồi thử lại",
	},
	est.ReasonCAMismatch: {
		EN: "The enrolment server is not the city's (its certificate does not match the claim): check the network is the city's, and tell city IT",
		VI: "Máy chủ cấp phép không phải của thành phố (chứng thư không khớp với mã): kiểm tra đúng mạng của thành phố và báo phòng CNTT thành phố",
	},
	est.ReasonUnreachable: {
		EN: "Cannot reach the city's enrolment server: check the network cable, DNS and the enrolment address in the claim, then try again",
		VI: "Không kết nối được máy chủ cấp phép của thành phố: kiểm tra cáp mạng, DNS và địa chỉ cấp phép trong mã, rồi thử lại",
	},
	est.ReasonServer: {
		EN: "The city's enrolment server failed: try again in a few minutes; if it goes on, tell city IT",
		VI: "Máy chủ cấp phép của thành phố gặp lỗi: thử lại sau vài phút; nếu vẫn lỗi, báo phòng CNTT thành phố",
	},
	est.ReasonBadResponse: {
		EN: "The city's answer was malformed: try again; if it goes on, tell city IT",
		VI: "Câu trả lời của thành phố bị lỗi định dạng: thử lại; nếu vẫn lỗi, báo phòng CNTT thành phố",
	},
	ReasonCertInvalid: {
		EN: "The certificate from the city does not fit this box: tell city IT; nothing was changed on the box",
		VI: "Chứng thư thành phố cấp không khớp với thiết bị: báo phòng CNTT thành phố; thiết bị không thay đổi gì",
	},
	ReasonConfigInvalid: {
		EN: "The city's config for this box is not valid: tell city IT; the previous provisioning is kept",
		VI: "Cấu hình thành phố gửi cho thiết bị không hợp lệ: báo phòng CNTT thành phố; cấp phép trước đó được giữ nguyên",
	},
	ReasonLocal: {
		EN: "The box could not save its files (disk full or read-only?): run roomgate doctor; the previous provisioning is kept",
		VI: "Thiết bị không lưu được tệp (đầy đĩa hoặc chỉ đọc?): chạy roomgate doctor; cấp phép trước đó được giữ nguyên",
	},
	ReasonBusy: {
		EN: "Provisioning is already running on this box: wait for it to finish",
		VI: "Thiết bị đang được cấp phép: chờ cho xong",
	},
	ReasonStopped: {
		EN: "Provisioning was interrupted: run it again with the same claim; it goes on with the same key",
		VI: "Việc cấp phép bị gián đoạn: chạy lại với cùng mã; thiết bị dùng lại khóa cũ",
	},
}

// Remedy says what to do about reason; an unknown reason (a newer city's)
// gets the general advice.
func Remedy(reason string) doctor.Text {
	if r, ok := remedies[reason]; ok {
		return r
	}
	return doctor.Text{
		EN: "Provisioning failed (" + reason + "): try again; if it goes on, tell city IT",
		VI: "Cấp phép thất bại (" + reason + "): thử lại; nếu vẫn lỗi, báo phòng CNTT thành phố",
	}
}
