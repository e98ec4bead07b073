#include "comparisonmodel.h"

#include "matrixmodel.h"

#include <QColor>

namespace nestscope {

namespace {

QString passText(const MatrixCell &c)
{
    if (c.isEmpty()) {
        return QStringLiteral("no samples");
    }
    if (c.passed < c.total) {
        // the median of a cell with failures is partly the time it took to fail: not a latency
        QString text = QStringLiteral("%1/%2 pass").arg(c.passed).arg(c.total);
        if (!c.lastProblem.isEmpty()) {
            text += QStringLiteral(", last problem: %1").arg(c.lastProblem.toHtmlEscaped());
        }
        return text;
    }
    return QStringLiteral("%1/%2 pass, p50 %3").arg(c.passed).arg(c.total).arg(MatrixModel::formatMs(c.medianMs));
}

QString passCount(const MatrixCell &c)
{
    return QStringLiteral("%1/%2").arg(c.passed).arg(c.total);
}

} // namespace

ComparisonModel::ComparisonModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ComparisonModel::setComparison(const Comparison &comparison)
{
    beginResetModel();
    m_comparison = comparison;
    endResetModel();
}

int ComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_comparison.rowCount();
}

int ComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_comparison.columnCount();
}

QColor ComparisonModel::colorFor(CellChange change)
{
    switch (change) {
    case CellChange::Fixed:
        return MatrixModel::colorForPassRate(1.0);
    case CellChange::Broke:
        return MatrixModel::colorForPassRate(0.0);
    case CellChange::StillFailing:
        // As loud as "broke" (the problem is there after the change), a deeper red so the two read apart.
        return QColor::fromHsvF(350.0f / 360.0f, 0.62f, 0.80f);
    case CellChange::Slower:
        return QColor::fromHsvF(35.0f / 360.0f, 0.55f, 0.95f); // amber: worse, not broken
    case CellChange::Faster:
        return QColor::fromHsvF(200.0f / 360.0f, 0.40f, 0.95f); // blue: better
    case CellChange::Added:
    case CellChange::Removed:
        return QColor(0xd8, 0xd8, 0xd8);
    case CellChange::Same:
        break;
    }
    return {};
}

QVariant ComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const CellComparison &c = m_comparison.cell(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole:
        switch (c.change) {
        case CellChange::Same:
            return c.after.isEmpty() ? QString() : MatrixModel::formatMs(c.after.medianMs);
        case CellChange::Added:
        case CellChange::Removed:
            return toText(c.change);
        case CellChange::Fixed:
        case CellChange::Broke:
        case CellChange::StillFailing:
            // Pass counts: the latency of a failing side is how long it took to fail.
            return QStringLiteral("%1 · %2 → %3 pass").arg(toText(c.change), passCount(c.before), passCount(c.after));
        default:
            return QStringLiteral("%1 · %2 → %3")
                .arg(toText(c.change), MatrixModel::formatMs(c.before.medianMs),
                    MatrixModel::formatMs(c.after.medianMs));
        }
    case Qt::ToolTipRole:
        return QStringLiteral("<b>%1 on %2: %3</b><br>before: %4<br>after: %5<br><i>Click to see the samples of "
                              "both runs</i>")
            .arg(c.probeId.toHtmlEscaped(), c.target.toHtmlEscaped(), toText(c.change), passText(c.before),
                passText(c.after));
    case Qt::BackgroundRole: {
        const QColor color = colorFor(c.change);
        return color.isValid() ? QVariant(color) : QVariant();
    }
    case Qt::ForegroundRole:
        return colorFor(c.change).isValid() ? QVariant(QColor(Qt::black)) : QVariant();
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    case ChangeRole:
        return int(c.change);
    case ChangeTextRole:
        return toText(c.change);
    case BeforeMedianRole:
        return c.before.medianMs;
    case AfterMedianRole:
        return c.after.medianMs;
    default:
        return {};
    }
}

QVariant ComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole) {
        return {};
    }
    const QStringList &axis = orientation == Qt::Horizontal ? m_comparison.targets() : m_comparison.probeIds();
    return section >= 0 && section < axis.size() ? QVariant(axis.at(section)) : QVariant();
}

} // namespace nestscope
