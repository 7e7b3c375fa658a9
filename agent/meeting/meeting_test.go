package meeting

import (
	"testing"
	"time"
)

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-12-02 "+hhmm, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

// schedule: a morning meeting 09:00–10:30 (check-in 08:30–10:00) for An
// and Binh, and an afternoon one 14:00–15:00 (13:45–14:30) for Binh only.
func schedule() *Schedule {
	return &Schedule{Version: 1, Meetings: []Meeting{
		{ID: "m-am", Title: "Giao ban", Start: at("09:00:00"), End: at("10:30:00"), CheckInOpens: at("08:30:00"), CheckInCloses: at("10:00:00"),
			Invitees: []Invitee{{Person: "an", Name: "Nguyễn Văn An", Seat: "A1"}, {Person: "binh", Name: "Trần Bình"}}},
		{ID: "m-pm", Title: "Ngân sách", Start: at("14:00:00"), End: at("15:00:00"), CheckInOpens: at("13:45:00"), CheckInCloses: at("14:30:00"),
			Invitees: []Invitee{{Person: "binh", Name: "Trần Bình"}}},
	}}
}

func TestDecideWindowEdges(t *testing.T) {
	r := Rules{LateAfter: 10 * time.Minute}
	s := schedule()
	cases := []struct {
		name, person, at string
		record           bool
		meeting, notice  string
		late             bool
	}{
		{"a second before opening", "an", "08:29:59", false, "m-am", NoticeNotOpenYet, false},
		{"at opening", "an", "08:30:00", true, "m-am", "", false},
		{"at start plus grace", "an", "09:10:00", true, "m-am", "", false},
		{"a second after grace", "an", "09:10:01", true, "m-am", "", true},
		{"a second before closing", "an", "09:59:59", true, "m-am", "", true},
		{"at closing", "an", "10:00:00", false, "m-am", NoticeClosed, false},
		{"afternoon, nothing left for an", "an", "14:00:00", false, "m-pm", NoticeNotInvited, false},
		{"evening", "an", "20:00:00", false, "m-am", NoticeClosed, false},
		{"between meetings, binh's next is not open", "binh", "12:00:00", false, "m-pm", NoticeNotOpenYet, false},
		{"not invited while a meeting is open", "chi", "09:00:00", false, "m-am", NoticeNotInvited, false},
		{"stranger with nothing open", "chi", "12:00:00", false, "", NoticeNoMeeting, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := r.Decide(s, c.person, at(c.at))
			got := ""
			if o.Meeting != nil {
				got = o.Meeting.ID
			}
			if o.Record != c.record || got != c.meeting || o.Notice != c.notice || o.Late != c.late {
				t.Fatalf("Decide(%s, %s) = record %v meeting %q notice %q late %v; want %v %q %q %v",
					c.person, c.at, o.Record, got, o.Notice, o.Late, c.record, c.meeting, c.notice, c.late)
			}
			if o.Record && o.Invitee.Person != c.person {
				t.Fatalf("invitee %+v, want %s", o.Invitee, c.person)
			}
		})
	}
}

func TestDecideOtherDay(t *testing.T) {
	o := Rules{}.Decide(schedule(), "an", at("09:00:00").AddDate(0, 0, 1))
	if o.Record || o.Notice != NoticeNoMeeting {
		t.Fatalf("the next day: %+v, want no_meeting", o)
	}
}

func TestDecideRecordNonInvitees(t *testing.T) {
	o := Rules{RecordNonInvitees: true}.Decide(schedule(), "chi", at("09:00:00"))
	if !o.Record || o.Invited || o.Meeting.ID != "m-am" {
		t.Fatalf("non-invitee with RecordNonInvitees: %+v", o)
	}
}

func TestDecideOverlapEarlierWins(t *testing.T) {
	s := schedule()
	// The afternoon meeting moved so its check-in opens before the morning one closes.
	s.Meetings[1].CheckInOpens = at("09:50:00")
	o := Rules{}.Decide(s, "binh", at("09:55:00"))
	if !o.Record || o.Meeting.ID != "m-am" {
		t.Fatalf("overlap: %+v, want the morning meeting", o)
	}
	o = Rules{}.Decide(s, "binh", at("10:00:00"))
	if !o.Record || o.Meeting.ID != "m-pm" {
		t.Fatalf("after the morning closes: %+v, want the afternoon meeting", o)
	}
}

func TestManual(t *testing.T) {
	r := Rules{LateAfter: 5 * time.Minute}
	s := schedule()
	if o := r.Manual(s, "m-am", "chi", at("09:30:00")); !o.Record || o.Invited || !o.Late {
		t.Fatalf("manual check-in of a non-invitee: %+v", o)
	}
	if o := r.Manual(s, "m-am", "an", at("09:00:00")); !o.Record || !o.Invited || o.Late || o.Invitee.Seat != "A1" {
		t.Fatalf("manual check-in of an invitee: %+v", o)
	}
	if o := r.Manual(s, "m-am", "an", at("10:00:00")); o.Record || o.Notice != NoticeClosed {
		t.Fatalf("manual after closing: %+v", o)
	}
	if o := r.Manual(s, "nope", "an", at("09:00:00")); o.Record || o.Notice != NoticeNoMeeting {
		t.Fatalf("manual for an unknown meeting: %+v", o)
	}
}

func TestCurrentAndToday(t *testing.T) {
	s := schedule()
	for _, c := range []struct{ at, want string }{
		{"07:00:00", "m-am"}, {"09:00:00", "m-am"}, {"12:00:00", "m-pm"}, {"14:00:00", "m-pm"}, {"18:00:00", "m-pm"},
	} {
		if m := s.Current(at(c.at)); m == nil || m.ID != c.want {
			t.Errorf("Current(%s) = %v, want %s", c.at, m, c.want)
		}
	}
	if m := s.Current(at("09:00:00").AddDate(0, 0, 1)); m != nil {
		t.Errorf("Current the next day = %s, want none", m.ID)
	}
	if got := s.Today(at("12:00:00")); len(got) != 2 || got[0].ID != "m-am" {
		t.Errorf("Today = %v", got)
	}
}
