// Package gate decides who may enter: it verifies a scanned pass or chip ID
// card against the box's trust and policy, keeps the entry (granted or denied,
// with its reason) durably, and only then opens the door or shows the denial.
package gate
