#include "runstats.h"

#include "matrix.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nestscope::runstats {

namespace {

template <typename F> void forCell(const Run &run, const QString &probe, const QString &target, F &&f)
{
    for (const Sample &s : run.samples) {
        if (s.probeId == probe && s.target == target && s.status != SampleStatus::Skipped) {
            f(s);
        }
    }
}

template <typename F> void forPassing(const Run &run, const QString &probe, const QString &target, F &&f)
{
    for (const Sample &s : run.samples) {
        if (s.probeId == probe && s.target == target && s.status == SampleStatus::Pass) {
            f(s);
        }
    }
}

} // namespace

OutcomeCounts outcomes(const Run &run, const QString &probe, const QString &target)
{
    OutcomeCounts c;
    for (const Sample &s : run.samples) {
        if (s.probeId != probe || s.target != target) {
            continue;
        }
        switch (s.status) {
        case SampleStatus::Pass:
            ++c.passed;
            break;
        case SampleStatus::Fail:
            ++c.failed;
            break;
        case SampleStatus::Timeout:
            ++c.timedOut;
            break;
        case SampleStatus::Error:
            ++c.errors;
            break;
        case SampleStatus::Skipped:
            ++c.skipped;
            break;
        }
    }
    return c;
}

LatencyStats latency(const Run &run, const QString &probe, const QString &target)
{
    std::vector<double> v;
    forPassing(run, probe, target, [&](const Sample &s) {
        v.push_back(s.latencyMs);
    });
    LatencyStats st;
    if (v.empty()) {
        return st;
    }
    std::sort(v.begin(), v.end());
    st.count = int(v.size());
    st.min = v.front();
    st.q1 = percentile(v, 0.25);
    st.median = percentile(v, 0.5);
    st.q3 = percentile(v, 0.75);
    st.p95 = percentile(v, 0.95);
    st.max = v.back();
    return st;
}

QMap<QString, double> meanPhases(const Run &run, const QString &probe, const QString &target)
{
    QMap<QString, double> sum;
    int n = 0;
    forPassing(run, probe, target, [&](const Sample &s) {
        if (s.phasesMs.isEmpty()) {
            return;
        }
        ++n;
        for (auto it = s.phasesMs.cbegin(); it != s.phasesMs.cend(); ++it) {
            if (it.key() != QLatin1String("total")) {
                sum[it.key()] += it.value();
            }
        }
    });
    for (auto it = sum.begin(); it != sum.end(); ++it) {
        it.value() /= n;
    }
    return sum;
}

double successRate(const Run &run, const QString &probe, const QString &target)
{
    int total = 0;
    int passed = 0;
    forCell(run, probe, target, [&](const Sample &s) {
        ++total;
        passed += s.status == SampleStatus::Pass ? 1 : 0;
    });
    return total > 0 ? double(passed) / total : -1.0;
}

QList<QPointF> timeline(const Run &run, const QString &probe, const QString &target)
{
    QList<QPointF> points;
    forPassing(run, probe, target, [&](const Sample &s) {
        points << QPointF(s.repetition + 1, s.latencyMs);
    });
    std::stable_sort(points.begin(), points.end(), [](const QPointF &a, const QPointF &b) {
        return a.x() < b.x();
    });
    return points;
}

QList<OutcomePoint> timelineProblems(const Run &run, const QString &probe, const QString &target)
{
    QList<OutcomePoint> points;
    for (const Sample &s : run.samples) {
        if (s.probeId == probe && s.target == target && s.status != SampleStatus::Pass) {
            points << OutcomePoint { s.repetition + 1, s.status, s.latencyMs, s.message };
        }
    }
    std::stable_sort(points.begin(), points.end(), [](const OutcomePoint &a, const OutcomePoint &b) {
        return a.repetition < b.repetition;
    });
    return points;
}

bool isDurationPhase(const QString &key)
{
    return !key.endsWith(QLatin1String("_percent")) && !key.endsWith(QLatin1String("_bytes"))
        && !key.endsWith(QLatin1String("_per_s"));
}

QString formatMeasure(const QString &key, double value)
{
    if (key.endsWith(QLatin1String("_percent"))) {
        return QStringLiteral("%1 %").arg(value, 0, 'f', value == std::floor(value) ? 0 : 1);
    }
    const bool rate = key.endsWith(QLatin1String("_per_s"));
    if (rate || key.endsWith(QLatin1String("_bytes"))) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
        int u = 0;
        while (value >= 1024.0 && u < 3) {
            value /= 1024.0;
            ++u;
        }
        return QStringLiteral("%1 %2%3")
            .arg(value, 0, 'f', u == 0 ? 0 : 1)
            .arg(QLatin1String(units[u]), rate ? QStringLiteral("/s") : QString());
    }
    return {};
}

QStringList phaseOrder(const QStringList &phases)
{
    static const QStringList known { QStringLiteral("dns"), QStringLiteral("connect"), QStringLiteral("tls"),
        QStringLiteral("first_byte") };
    QStringList ordered;
    for (const QString &k : known) {
        if (phases.contains(k)) {
            ordered << k;
        }
    }
    QStringList rest;
    for (const QString &p : phases) {
        if (!known.contains(p) && p != QLatin1String("total") && isDurationPhase(p) && !rest.contains(p)) {
            rest << p;
        }
    }
    rest.sort();
    return ordered + rest;
}

} // namespace nestscope::runstats

namespace nestscope {

QString OutcomeCounts::toText() const
{
    QStringList parts;
    const std::pair<int, const char *> items[] = { { passed, "passed" }, { failed, "failed" },
        { timedOut, "timed out" }, { errors, "could not run" }, { skipped, "skipped" } };
    for (const auto &[n, what] : items) {
        if (n > 0) {
            parts << QStringLiteral("%1 %2").arg(n).arg(QLatin1String(what));
        }
    }
    return parts.isEmpty() ? QStringLiteral("no samples") : parts.join(QStringLiteral(", "));
}

} // namespace nestscope
