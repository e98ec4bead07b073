#include "comparison.h"

#include <QLocale>

#include <cmath>

namespace nestscope {

namespace {

bool allPassed(const MatrixCell &c)
{
    return !c.isEmpty() && c.passed == c.total;
}

CellChange classify(const MatrixCell &before, const MatrixCell &after, const ComparisonThresholds &t)
{
    if (before.isEmpty() && after.isEmpty()) {
        return CellChange::Same;
    }
    if (before.isEmpty()) {
        return CellChange::Added;
    }
    if (after.isEmpty()) {
        return CellChange::Removed;
    }
    const bool wasGood = allPassed(before);
    const bool isGood = allPassed(after);
    if (!wasGood && isGood) {
        return CellChange::Fixed;
    }
    if (wasGood && !isGood) {
        return CellChange::Broke;
    }
    if (!wasGood) {
        // Failing in both: not news of a change, but the problem the user is still chasing, so it is
        // named (a latency of failures says nothing, so it is never Slower or Faster).
        return CellChange::StillFailing;
    }
    const double delta = after.medianMs - before.medianMs;
    const double ratio = before.medianMs > 0 ? std::abs(delta) / before.medianMs : INFINITY;
    if (std::abs(delta) >= t.minDeltaMs && ratio >= t.ratio) {
        return delta > 0 ? CellChange::Slower : CellChange::Faster;
    }
    return CellChange::Same;
}

/// "4,812 ms" / "41 ms" / "0.8 ms": grouped digits so large numbers read at a glance.
QString ms(double value)
{
    static const QLocale english(QLocale::English);
    return value < 10 ? QStringLiteral("%1 ms").arg(english.toString(value, 'f', 1))
                      : QStringLiteral("%1 ms").arg(english.toString(qRound64(value)));
}

} // namespace

QString toText(CellChange change)
{
    switch (change) {
    case CellChange::Same:
        return QStringLiteral("same");
    case CellChange::Fixed:
        return QStringLiteral("fixed");
    case CellChange::Broke:
        return QStringLiteral("broke");
    case CellChange::StillFailing:
        return QStringLiteral("still failing");
    case CellChange::Slower:
        return QStringLiteral("slower");
    case CellChange::Faster:
        return QStringLiteral("faster");
    case CellChange::Added:
        return QStringLiteral("added");
    case CellChange::Removed:
        return QStringLiteral("removed");
    }
    return QStringLiteral("same");
}

Comparison Comparison::compare(const Matrix &before, const Matrix &after, ComparisonThresholds thresholds)
{
    Comparison c;
    c.m_thresholds = thresholds;
    c.m_probeIds = before.probeIds();
    c.m_targets = before.targets();
    for (const QString &p : after.probeIds()) {
        if (!c.m_probeIds.contains(p)) {
            c.m_probeIds << p;
        }
    }
    for (const QString &t : after.targets()) {
        if (!c.m_targets.contains(t)) {
            c.m_targets << t;
        }
    }
    static const MatrixCell empty;
    auto cellOf = [](const Matrix &m, const QString &probe, const QString &target) -> const MatrixCell & {
        const qsizetype r = m.probeIds().indexOf(probe);
        const qsizetype col = m.targets().indexOf(target);
        return r < 0 || col < 0 ? empty : m.cell(int(r), int(col));
    };
    for (const QString &probe : std::as_const(c.m_probeIds)) {
        for (const QString &target : std::as_const(c.m_targets)) {
            CellComparison cc;
            cc.probeId = probe;
            cc.target = target;
            cc.before = cellOf(before, probe, target);
            cc.after = cellOf(after, probe, target);
            cc.change = classify(cc.before, cc.after, thresholds);
            c.m_cells << cc;
        }
    }
    return c;
}

const CellComparison &Comparison::cell(int row, int column) const
{
    return m_cells.at(row * columnCount() + column);
}

int Comparison::count(CellChange change) const
{
    return static_cast<int>(std::count_if(m_cells.cbegin(), m_cells.cend(), [change](const CellComparison &c) {
        return c.change == change;
    }));
}

const CellComparison *Comparison::largestLatencyChange() const
{
    const CellComparison *best = nullptr;
    for (const CellComparison &c : m_cells) {
        if (c.change == CellChange::Same || c.change == CellChange::Added || c.change == CellChange::Removed
            || c.change == CellChange::StillFailing) {
            continue;
        }
        if (std::abs(c.deltaMs()) < m_thresholds.minDeltaMs) {
            continue;
        }
        if (!best || std::abs(c.deltaMs()) > std::abs(best->deltaMs())) {
            best = &c;
        }
    }
    return best;
}

QString Comparison::summary() const
{
    const int fixed = count(CellChange::Fixed);
    QStringList parts;
    parts
        << QStringLiteral("%1 %2 fixed").arg(fixed).arg(fixed == 1 ? QStringLiteral("cell") : QStringLiteral("cells"));
    parts << QStringLiteral("%1 broke").arg(count(CellChange::Broke));
    parts << QStringLiteral("%1 still failing").arg(count(CellChange::StillFailing));
    for (auto change : { CellChange::Slower, CellChange::Faster, CellChange::Added, CellChange::Removed }) {
        if (const int n = count(change); n > 0) {
            parts << QStringLiteral("%1 %2").arg(n).arg(toText(change));
        }
    }
    if (const CellComparison *c = largestLatencyChange()) {
        parts << QStringLiteral("%1 p50 on %2 %3 -> %4")
                     .arg(c->probeId, c->target, ms(c->before.medianMs), ms(c->after.medianMs));
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace nestscope
