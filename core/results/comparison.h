#pragma once

#include "matrix.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace nestscope {

/// How one cell (a probe on a target) changed from the "before" run to the "after" run.
enum class CellChange {
    Same,
    Fixed, ///< did not pass every time before, passes every time now
    Broke, ///< passed every time before, does not now
    StillFailing, ///< did not pass every time in either run: the problem is still there
    Slower, ///< passes in both; the median grew beyond the threshold
    Faster, ///< passes in both; the median shrank beyond the threshold
    Added, ///< only the after run has samples for it
    Removed, ///< only the before run has samples for it
};

QString toText(CellChange change);

/// When a latency change counts: both the ratio and the absolute difference must be exceeded,
/// so 0.4 ms -> 0.8 ms (x2, but noise) and 10.0 s -> 10.2 s (+200 ms, but 2 %) are not changes.
struct ComparisonThresholds {
    double ratio = 0.5; ///< |after - before| / before
    double minDeltaMs = 20.0;
};

struct CellComparison {
    QString probeId;
    QString target;
    MatrixCell before;
    MatrixCell after;
    CellChange change = CellChange::Same;

    double deltaMs() const { return after.medianMs - before.medianMs; }
};

/// Two runs side by side, cell by cell, on the union of their probes and targets (the before
/// run's order first). Cells with no samples in either run are Same.
class Comparison {
public:
    Comparison() = default;
    static Comparison compare(const Matrix &before, const Matrix &after, ComparisonThresholds thresholds = {});

    const QStringList &probeIds() const { return m_probeIds; }
    const QStringList &targets() const { return m_targets; }
    int rowCount() const { return static_cast<int>(m_probeIds.size()); }
    int columnCount() const { return static_cast<int>(m_targets.size()); }
    const CellComparison &cell(int row, int column) const;
    const ComparisonThresholds &thresholds() const { return m_thresholds; }

    int count(CellChange change) const;
    /// The cell whose median moved the most (in ms) among the changed ones, or nullptr.
    const CellComparison *largestLatencyChange() const;
    /// "6 cells fixed, 0 broke, 2 still failing, 1 slower, http p50 on vm1 4,812 ms -> 41 ms".
    QString summary() const;

private:
    QStringList m_probeIds;
    QStringList m_targets;
    QList<CellComparison> m_cells; // row-major
    ComparisonThresholds m_thresholds;
};

} // namespace nestscope
