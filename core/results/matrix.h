#pragma once

#include "sample.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <vector>

namespace nestscope {

/// One probe on one target, over all its repetitions.
struct MatrixCell {
    int total = 0; ///< samples that ran (skipped ones are not counted)
    int passed = 0;
    int failed = 0;
    int timeouts = 0;
    int errors = 0;
    int skipped = 0;
    double medianMs = 0;
    double p95Ms = 0;
    double minMs = 0;
    double maxMs = 0;
    QString lastProblem; ///< the message of the most recent sample that did not pass

    bool isEmpty() const { return total == 0; }
    /// 0..1; NaN-free: an empty cell has a pass rate of 0 and isEmpty() is true.
    double passRate() const { return total > 0 ? double(passed) / total : 0.0; }
};

/// Probes as rows, targets as columns. Samples can be added one at a time while a run goes on.
class Matrix {
public:
    Matrix() = default;
    Matrix(QStringList probeIds, QStringList targets);

    static Matrix fromRun(const Run &run);

    const QStringList &probeIds() const { return m_probeIds; }
    const QStringList &targets() const { return m_targets; }
    int rowCount() const { return static_cast<int>(m_probeIds.size()); }
    int columnCount() const { return static_cast<int>(m_targets.size()); }

    const MatrixCell &cell(int row, int column) const;

    /// Adds the sample to its cell, growing the axes for an unknown probe or target.
    /// Returns the (row, column) it landed in.
    std::pair<int, int> add(const Sample &sample);

private:
    int indexOf(QStringList &axis, const QString &name, bool &grew);
    void recompute(int row, int column);

    QStringList m_probeIds;
    QStringList m_targets;
    std::vector<MatrixCell> m_cells; // row-major
    std::vector<std::vector<double>> m_latencies; // sorted, per cell
};

/// The value at fraction q (0..1) of sorted values, by linear interpolation.
double percentile(const std::vector<double> &sorted, double q);

} // namespace nestscope
