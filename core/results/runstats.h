#pragma once

#include "sample.h"

#include <QList>
#include <QMap>
#include <QPointF>
#include <QString>

namespace nestscope {

/// The five numbers of a box plot plus p95, over the latencies of the samples of one probe on one
/// target that passed: how long a failure took to fail is not a latency of the service (a refused
/// connection is fast, a timeout is the plan's limit), so failures are counted, not measured.
struct LatencyStats {
    int count = 0;
    double min = 0;
    double q1 = 0;
    double median = 0;
    double q3 = 0;
    double p95 = 0;
    double max = 0;
};

/// How the samples of one probe on one target ended.
struct OutcomeCounts {
    int passed = 0;
    int failed = 0;
    int timedOut = 0;
    int errors = 0;
    int skipped = 0;

    int ran() const { return passed + failed + timedOut + errors; }
    int notPassed() const { return failed + timedOut + errors; }
    bool isEmpty() const { return ran() + skipped == 0; }
    /// "2 passed, 1 timed out" (only the outcomes that occurred); "no samples" when empty.
    QString toText() const;
};

/// A sample that did not pass, as the timeline marks it.
struct OutcomePoint {
    int repetition = 0; ///< 1-based, as the charts' x axis
    SampleStatus status = SampleStatus::Fail;
    double elapsedMs = 0; ///< how long it took to end (not a latency)
    QString message;
};

/// What the charts draw, computed from a run without a screen (so it is tested with the core).
namespace runstats {

/// Over the passing samples only (count = how many passed).
LatencyStats latency(const Run &run, const QString &probe, const QString &target);
OutcomeCounts outcomes(const Run &run, const QString &probe, const QString &target);
/// Mean time per phase (dns, connect, tls, first_byte; "total" left out) over the passing samples that have phases.
QMap<QString, double> meanPhases(const Run &run, const QString &probe, const QString &target);
/// Passed / run (skipped left out); -1 when nothing ran.
double successRate(const Run &run, const QString &probe, const QString &target);
/// (repetition + 1, latency ms) of the passing samples, in repetition order.
QList<QPointF> timeline(const Run &run, const QString &probe, const QString &target);
/// The samples that did not pass (failed, timed out, error, skipped), in repetition order.
QList<OutcomePoint> timelineProblems(const Run &run, const QString &probe, const QString &target);
/// The phases in the order they happen, then any other durations alphabetically; measures that
/// are not durations (see isDurationPhase) are left out, so no chart plots them as milliseconds.
QStringList phaseOrder(const QStringList &phases);
/// Whether a key of Sample::phasesMs is a duration in ms. Keys ending in `_percent`, `_bytes` or
/// `_per_s` (ICMP loss, a bulk transfer's bytes and throughput) are other measures.
bool isDurationPhase(const QString &key);
/// A measure that is not a duration, in its unit ("3 %", "1.0 MiB", "12.5 MiB/s"); empty for a duration.
QString formatMeasure(const QString &key, double value);

} // namespace runstats

} // namespace nestscope
