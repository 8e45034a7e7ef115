#pragma once
// The statements a SQLite claim runs (SqliteStore::claim_due), and the queue gauges' count. They are in their
// own file so that a unit test can check their query plans: without statistics, SQLite's planner may prefer
// the due-time index to the per-endpoint one, and then a claim meant to read one endpoint's rows walks every
// due row of everyone.
#include <string>

namespace hookd::store::sqlite::claim_sql {

// The head of the queue: due rows oldest first, at most ?2, rows of the endpoints listed in ?3 (JSON array)
// dropped before their message is read. ?1: now.
extern const std::string kDueHead;
// How many rows the head above would hold before that drop (?1 now, ?2 bound): it was cut when this is ?2.
extern const std::string kCountDueHead;
// The first endpoint after ?1 (in id order) with a pending delivery: stepped from '' on, it lists the
// endpoints with pending work, one index seek each.
extern const std::string kNextEndpointWithPending;
// One endpoint's (?2) due rows, oldest first, at most ?3; ?1: now.
extern const std::string kDueForEndpoint;
// Rows out under a lease that ended before ?1, except the endpoints in ?2 (JSON array); at most ?3.
extern const std::string kLeaseExpired;
// Deliveries out under a live lease (?1: now), counted by endpoint.
extern const std::string kBusyEndpoints;
// For the queue gauges: all deliveries, then the pending, sending and failed ones (succeeded: the rest).
extern const std::string kQueueDepth;

}  // namespace hookd::store::sqlite::claim_sql
