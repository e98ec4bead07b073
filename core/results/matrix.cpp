#include "matrix.h"

#include <algorithm>
#include <cmath>

namespace nestscope {

namespace {

// Row-major position of a cell, computed in size_t so a large matrix cannot overflow int.
size_t cellIndex(int row, int column, int columns)
{
    return size_t(row) * size_t(columns) + size_t(column);
}

} // namespace

double percentile(const std::vector<double> &sorted, double q)
{
    if (sorted.empty()) {
        return 0;
    }
    const double pos = q * double(sorted.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const auto hi = static_cast<size_t>(std::ceil(pos));
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

Matrix::Matrix(QStringList probeIds, QStringList targets)
    : m_probeIds(std::move(probeIds))
    , m_targets(std::move(targets))
    , m_cells(size_t(m_probeIds.size() * m_targets.size()))
    , m_latencies(m_cells.size())
{
}

Matrix Matrix::fromRun(const Run &run)
{
    Matrix m(run.probeIds, run.targets);
    for (const Sample &s : run.samples) {
        m.add(s);
    }
    return m;
}

const MatrixCell &Matrix::cell(int row, int column) const
{
    return m_cells.at(cellIndex(row, column, columnCount()));
}

int Matrix::indexOf(QStringList &axis, const QString &name, bool &grew)
{
    qsizetype i = axis.indexOf(name);
    if (i < 0) {
        axis.append(name);
        i = axis.size() - 1;
        grew = true;
    }
    return static_cast<int>(i);
}

std::pair<int, int> Matrix::add(const Sample &sample)
{
    const int oldColumns = columnCount();
    const int oldRows = rowCount();
    bool grew = false;
    const int row = indexOf(m_probeIds, sample.probeId, grew);
    const int column = indexOf(m_targets, sample.target, grew);
    if (grew) {
        // Re-lay the row-major storage for the new shape, keeping every existing cell.
        std::vector<MatrixCell> cells(size_t(rowCount()) * size_t(columnCount()));
        std::vector<std::vector<double>> latencies(cells.size());
        for (int r = 0; r < oldRows; ++r) {
            for (int c = 0; c < oldColumns; ++c) {
                cells[cellIndex(r, c, columnCount())] = std::move(m_cells[cellIndex(r, c, oldColumns)]);
                latencies[cellIndex(r, c, columnCount())] = std::move(m_latencies[cellIndex(r, c, oldColumns)]);
            }
        }
        m_cells = std::move(cells);
        m_latencies = std::move(latencies);
    }
    const size_t index = cellIndex(row, column, columnCount());
    MatrixCell &cell = m_cells[index];
    switch (sample.status) {
    case SampleStatus::Pass:
        ++cell.passed;
        break;
    case SampleStatus::Fail:
        ++cell.failed;
        break;
    case SampleStatus::Timeout:
        ++cell.timeouts;
        break;
    case SampleStatus::Error:
        ++cell.errors;
        break;
    case SampleStatus::Skipped:
        ++cell.skipped;
        break;
    }
    if (sample.status != SampleStatus::Skipped) {
        ++cell.total;
        auto &lat = m_latencies[index];
        lat.insert(std::upper_bound(lat.begin(), lat.end(), sample.latencyMs), sample.latencyMs);
        recompute(row, column);
    }
    if (sample.status != SampleStatus::Pass && !sample.message.isEmpty()) {
        cell.lastProblem = sample.message;
    }
    return { row, column };
}

void Matrix::recompute(int row, int column)
{
    const size_t index = cellIndex(row, column, columnCount());
    MatrixCell &cell = m_cells[index];
    const auto &lat = m_latencies[index];
    cell.medianMs = percentile(lat, 0.5);
    cell.p95Ms = percentile(lat, 0.95);
    cell.minMs = lat.empty() ? 0 : lat.front();
    cell.maxMs = lat.empty() ? 0 : lat.back();
}

} // namespace nestscope
