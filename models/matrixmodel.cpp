#include "matrixmodel.h"

#include <QColor>

#include <algorithm>

namespace nestscope {

MatrixModel::MatrixModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void MatrixModel::reset(const QStringList &probeIds, const QStringList &targets)
{
    setMatrix(Matrix(probeIds, targets));
}

void MatrixModel::setMatrix(const Matrix &matrix)
{
    beginResetModel();
    m_matrix = matrix;
    endResetModel();
}

void MatrixModel::addSample(const Sample &sample)
{
    const bool newRow = !m_matrix.probeIds().contains(sample.probeId);
    const bool newColumn = !m_matrix.targets().contains(sample.target);
    if (newRow && newColumn) {
        // Both axes grow at once; views cope best with a reset (rare: axes are known up front).
        beginResetModel();
        m_matrix.add(sample);
        endResetModel();
        return;
    }
    if (newRow) {
        beginInsertRows({}, rowCount(), rowCount());
        m_matrix.add(sample);
        endInsertRows();
        return;
    }
    if (newColumn) {
        beginInsertColumns({}, columnCount(), columnCount());
        m_matrix.add(sample);
        endInsertColumns();
        return;
    }
    const auto [row, column] = m_matrix.add(sample);
    const QModelIndex i = index(row, column);
    Q_EMIT dataChanged(i, i);
}

int MatrixModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_matrix.rowCount();
}

int MatrixModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_matrix.columnCount();
}

QString MatrixModel::formatMs(double ms)
{
    if (ms < 10) {
        return QStringLiteral("%1 ms").arg(ms, 0, 'f', 1);
    }
    if (ms < 1000) {
        return QStringLiteral("%1 ms").arg(qRound(ms));
    }
    return QStringLiteral("%1 s").arg(ms / 1000.0, 0, 'f', ms < 10000 ? 2 : 1);
}

QString MatrixModel::toMarkdown() const
{
    // '|' would end the cell and a newline the row; problems are one-line messages, kept short.
    auto cellText = [](QString text) {
        text.replace(QLatin1Char('|'), QStringLiteral("\\|")).replace(QLatin1Char('\n'), QLatin1Char(' '));
        return text.size() > 80 ? text.left(79) + QStringLiteral("…") : text;
    };
    QString md = QStringLiteral("| probe |");
    QString rule = QStringLiteral("|---|");
    for (const QString &t : m_matrix.targets()) {
        md += QStringLiteral(" %1 |").arg(cellText(t));
        rule += QStringLiteral("---|");
    }
    md += QLatin1Char('\n') + rule + QLatin1Char('\n');
    for (int r = 0; r < m_matrix.rowCount(); ++r) {
        md += QStringLiteral("| %1 |").arg(cellText(m_matrix.probeIds().at(r)));
        for (int c = 0; c < m_matrix.columnCount(); ++c) {
            const MatrixCell &cell = m_matrix.cell(r, c);
            QString text;
            if (cell.isEmpty()) {
                text = cell.skipped > 0 ? QStringLiteral("skipped") : QStringLiteral("–");
            } else if (cell.passed == cell.total) {
                text = QStringLiteral("%1, %2/%3 pass").arg(formatMs(cell.medianMs)).arg(cell.passed).arg(cell.total);
            } else {
                text = QStringLiteral("**%1/%2 pass**").arg(cell.passed).arg(cell.total);
                if (!cell.lastProblem.isEmpty()) {
                    text += QStringLiteral(": ") + cellText(cell.lastProblem);
                }
            }
            md += QLatin1Char(' ') + text + QStringLiteral(" |");
        }
        md += QLatin1Char('\n');
    }
    return md;
}

QColor MatrixModel::colorForPassRate(double rate)
{
    // Hue 0 (red) .. 120 (green); a half-passing cell is amber, which reads as "flaky".
    const double r = std::clamp(rate, 0.0, 1.0);
    return QColor::fromHsvF(static_cast<float>(r * 120.0 / 360.0), 0.55f, 0.92f);
}

QVariant MatrixModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const MatrixCell &c = m_matrix.cell(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole:
        if (c.isEmpty()) {
            return c.skipped > 0 ? QStringLiteral("skipped") : QString();
        }
        return formatMs(c.medianMs);
    case Qt::ToolTipRole: {
        if (c.isEmpty()) {
            return c.skipped > 0 ? QStringLiteral("%1 skipped").arg(c.skipped) : QStringLiteral("no samples yet");
        }
        QString tip = QStringLiteral("<b>%1 on %2</b><br>%3 of %4 passed (%5%)")
                          .arg(m_matrix.probeIds().at(index.row()).toHtmlEscaped(),
                              m_matrix.targets().at(index.column()).toHtmlEscaped())
                          .arg(c.passed)
                          .arg(c.total)
                          .arg(qRound(c.passRate() * 100));
        if (c.failed + c.timeouts + c.errors > 0) {
            tip += QStringLiteral("<br>%1 failed, %2 timed out, %3 errors").arg(c.failed).arg(c.timeouts).arg(c.errors);
        }
        tip += QStringLiteral("<br>p50 %1 · p95 %2 · min %3 · max %4")
                   .arg(formatMs(c.medianMs), formatMs(c.p95Ms), formatMs(c.minMs), formatMs(c.maxMs));
        if (!c.lastProblem.isEmpty()) {
            tip += QStringLiteral("<br>last problem: %1").arg(c.lastProblem.toHtmlEscaped());
        }
        return tip;
    }
    case Qt::BackgroundRole:
        return c.isEmpty() ? QVariant() : QVariant(colorForPassRate(c.passRate()));
    case Qt::ForegroundRole:
        return c.isEmpty() ? QVariant() : QVariant(QColor(Qt::black));
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    case CellRole:
        return QVariant::fromValue(c);
    case PassRateRole:
        return c.isEmpty() ? QVariant() : QVariant(c.passRate());
    case MedianRole:
        return c.medianMs;
    case ProbeIdRole:
        return m_matrix.probeIds().at(index.row());
    case TargetRole:
        return m_matrix.targets().at(index.column());
    default:
        return {};
    }
}

QVariant MatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) {
        return {};
    }
    const QStringList &axis = orientation == Qt::Horizontal ? m_matrix.targets() : m_matrix.probeIds();
    if (section < 0 || section >= axis.size()) {
        return {};
    }
    return axis.at(section);
}

} // namespace nestscope
