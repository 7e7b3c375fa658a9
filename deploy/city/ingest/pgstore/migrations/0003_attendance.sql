-- Attendance listings (roomgate-city attendance) read a meeting's check-ins
-- in time order from this index instead of scanning every event.
CREATE INDEX events_attendance ON events ((data->>'meeting'), time)
    WHERE type = 'vn.roomgate.attendance.v1';
