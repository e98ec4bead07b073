#pragma once

#include "sample.h"

#include <QList>
#include <QMap>
#include <QPointF>
#include <QString>

namespace nestscope {

/// The five numbers of a box plot plus p95, over the latencies of one probe on one target
/// (skipped samples left out, as in the matrix).
struct LatencyStats {
    int count = 0;
    double min = 0;
    double q1 = 0;
    double median = 0;
    double q3 = 0;
    double p95 = 0;
    double max = 0;
};

/// What the charts draw, computed from a run without a screen (so it is tested with the core).
namespace runstats {

LatencyStats latency(const Run &run, const QString &probe, const QString &target);
/// Mean time per phase (dns, connect, tls, first_byte; "total" left out) over the samples that have phases.
QMap<QString, double> meanPhases(const Run &run, const QString &probe, const QString &target);
/// Passed / run (skipped left out); -1 when nothing ran.
double successRate(const Run &run, const QString &probe, const QString &target);
/// (repetition + 1, latency ms) in repetition order.
QList<QPointF> timeline(const Run &run, const QString &probe, const QString &target);
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
