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

void MatrixModel::setEvidence(const QSet<std::pair<QString, QString>> &cells)
{
    if (cells == m_evidence) {
        return;
    }
    m_evidence = cells;
    if (rowCount() > 0 && columnCount() > 0) {
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1), { EvidenceRole });
    }
}

void MatrixModel::setMatrix(const Matrix &matrix)
{
    beginResetModel();
    m_matrix = matrix;
    rebuildSplit();
    endResetModel();
}

void MatrixModel::setProbeFamilies(const QHash<QString, Family> &families)
{
    beginResetModel();
    m_families = families;
    rebuildSplit();
    endResetModel();
}

void MatrixModel::setSplitByFamily(bool split)
{
    if (split == m_split) {
        return;
    }
    beginResetModel();
    m_split = split;
    rebuildSplit();
    endResetModel();
}

Family MatrixModel::familyOf(const QString &probeId) const
{
    if (const auto it = m_families.constFind(probeId); it != m_families.cend()) {
        return *it;
    }
    const QStringList words = probeId.toLower().split(QLatin1Char('-'));
    if (words.contains(QLatin1String("ipv4"))) {
        return Family::IPv4;
    }
    return words.contains(QLatin1String("ipv6")) ? Family::IPv6 : Family::Any;
}

QString MatrixModel::familyBaseName(const QString &probeId, Family family)
{
    QStringList words = probeId.split(QLatin1Char('-'));
    const QLatin1String record(family == Family::IPv4 ? "a" : "aaaa");
    if (family != Family::Any && words.size() > 1 && words.constLast().compare(record, Qt::CaseInsensitive) == 0) {
        words.removeLast();
    }
    words.removeIf([](const QString &w) {
        return w.compare(QLatin1String("ipv4"), Qt::CaseInsensitive) == 0
            || w.compare(QLatin1String("ipv6"), Qt::CaseInsensitive) == 0;
    });
    const QString base = words.join(QLatin1Char('-'));
    return base.isEmpty() ? probeId : base;
}

void MatrixModel::rebuildSplit()
{
    m_rows.clear();
    m_columns.clear();
    if (!m_split) {
        return;
    }
    bool used[3] = { false, false, false };
    QHash<QString, int> rowOf;
    for (int r = 0; r < m_matrix.rowCount(); ++r) {
        const QString &id = m_matrix.probeIds().at(r);
        const Family family = familyOf(id);
        const QString base = family == Family::Any ? id : familyBaseName(id, family);
        auto it = rowOf.constFind(base);
        if (it == rowOf.cend()) {
            it = rowOf.insert(base, int(m_rows.size()));
            m_rows.append(SplitRow { base, { -1, -1, -1 } });
        }
        if (m_rows[*it].source[int(family)] >= 0) {
            // Another probe already sits there (e.g. "dns-a" and "dns-ipv4"): this one keeps a row
            // of its own under its full id rather than being hidden.
            it = rowOf.insert(id, int(m_rows.size()));
            m_rows.append(SplitRow { id, { -1, -1, -1 } });
        }
        m_rows[*it].source[int(family)] = r;
        used[int(family)] = true;
    }
    static const QString names[3] = { QString(), QStringLiteral(" · IPv4"), QStringLiteral(" · IPv6") };
    for (int c = 0; c < m_matrix.columnCount(); ++c) {
        for (const Family family : { Family::Any, Family::IPv4, Family::IPv6 }) {
            if (used[int(family)]) {
                m_columns.append(SplitColumn { m_matrix.targets().at(c) + names[int(family)], c, family });
            }
        }
    }
}

std::pair<int, int> MatrixModel::sourceOf(int row, int column) const
{
    if (!m_split) {
        return { row, column };
    }
    const SplitColumn &c = m_columns.at(column);
    return { m_rows.at(row).source[int(c.family)], c.source };
}

const MatrixCell &MatrixModel::cellAt(int row, int column) const
{
    static const MatrixCell none;
    const auto [r, c] = sourceOf(row, column);
    return r < 0 ? none : m_matrix.cell(r, c);
}

Qt::ItemFlags MatrixModel::flags(const QModelIndex &index) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return Qt::NoItemFlags;
    }
    // a split cell that no probe fills (e.g. a family-less probe's IPv4 column) cannot be chosen
    return sourceOf(index.row(), index.column()).first < 0 ? Qt::ItemIsEnabled : QAbstractTableModel::flags(index);
}

void MatrixModel::addSample(const Sample &sample)
{
    if (m_split) {
        // A new probe or target can add a row, a column or a family's columns: start over then.
        const bool grows = !m_matrix.probeIds().contains(sample.probeId) || !m_matrix.targets().contains(sample.target);
        if (grows) {
            beginResetModel();
            m_matrix.add(sample);
            rebuildSplit();
            endResetModel();
            return;
        }
        m_matrix.add(sample);
        const Family family = familyOf(sample.probeId);
        const int sourceRow = int(m_matrix.probeIds().indexOf(sample.probeId));
        const int sourceColumn = int(m_matrix.targets().indexOf(sample.target));
        for (int r = 0; r < m_rows.size(); ++r) {
            if (m_rows.at(r).source[int(family)] != sourceRow) {
                continue;
            }
            for (int c = 0; c < m_columns.size(); ++c) {
                if (m_columns.at(c).source == sourceColumn && m_columns.at(c).family == family) {
                    Q_EMIT dataChanged(index(r, c), index(r, c));
                }
            }
        }
        return;
    }
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
    if (parent.isValid()) {
        return 0;
    }
    return m_split ? int(m_rows.size()) : m_matrix.rowCount();
}

int MatrixModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid()) {
        return 0;
    }
    return m_split ? int(m_columns.size()) : m_matrix.columnCount();
}

QString MatrixModel::formatMs(double ms)
{
    // Loopback and local commands take tens of microseconds: "0.0 ms" would read as "not measured".
    if (ms > 0 && ms < 0.1) {
        return ms < 0.0005 ? QStringLiteral("< 1 µs") : QStringLiteral("%1 µs").arg(qRound(ms * 1000));
    }
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
    QList<int> rows;
    for (int r = 0; r < rowCount(); ++r) {
        rows << r;
    }
    return toMarkdown(rows);
}

QString MatrixModel::toMarkdown(const QList<int> &rows) const
{
    // '|' would end the cell and a newline the row. The message stays whole: a ticket with half an
    // error message sends its reader back to the workbench.
    auto cellText = [](QString text) {
        return text.replace(QLatin1Char('|'), QStringLiteral("\\|")).replace(QLatin1Char('\n'), QLatin1Char(' '));
    };
    QString md = QStringLiteral("| probe |");
    QString rule = QStringLiteral("|---|");
    for (int c = 0; c < columnCount(); ++c) {
        md += QStringLiteral(" %1 |").arg(cellText(headerData(c, Qt::Horizontal).toString()));
        rule += QStringLiteral("---|");
    }
    md += QLatin1Char('\n') + rule + QLatin1Char('\n');
    for (const int r : rows) {
        md += QStringLiteral("| %1 |").arg(cellText(headerData(r, Qt::Vertical).toString()));
        for (int c = 0; c < columnCount(); ++c) {
            const MatrixCell &cell = cellAt(r, c);
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
    const auto [sourceRow, sourceColumn] = sourceOf(index.row(), index.column());
    if (sourceRow < 0) {
        return role == Qt::ToolTipRole ? QVariant(tr("no probe for this address family")) : QVariant();
    }
    const MatrixCell &c = m_matrix.cell(sourceRow, sourceColumn);
    const QString &probeId = m_matrix.probeIds().at(sourceRow);
    const QString &target = m_matrix.targets().at(sourceColumn);
    switch (role) {
    case Qt::DisplayRole:
        if (c.isEmpty()) {
            return c.skipped > 0 ? QStringLiteral("skipped") : QString();
        }
        // A cell with failures is read by its pass count: its median is partly the time it took to fail.
        return c.passed < c.total ? QStringLiteral("%1/%2 pass").arg(c.passed).arg(c.total) : formatMs(c.medianMs);
    case Qt::ToolTipRole: {
        if (c.isEmpty()) {
            return c.skipped > 0 ? QStringLiteral("%1 skipped").arg(c.skipped) : QStringLiteral("no samples yet");
        }
        QString tip = QStringLiteral("<b>%1 on %2</b><br>%3 of %4 passed (%5%)")
                          .arg(probeId.toHtmlEscaped(), target.toHtmlEscaped())
                          .arg(c.passed)
                          .arg(c.total)
                          .arg(qRound(c.passRate() * 100));
        if (c.failed + c.timeouts + c.errors > 0) {
            tip += QStringLiteral("<br>%1 failed, %2 timed out, %3 errors").arg(c.failed).arg(c.timeouts).arg(c.errors);
        }
        // With failures these are times to finish, not latencies of the service: say so.
        tip += QStringLiteral("<br>%5p50 %1 · p95 %2 · min %3 · max %4")
                   .arg(formatMs(c.medianMs), formatMs(c.p95Ms), formatMs(c.minMs), formatMs(c.maxMs),
                       c.passed < c.total ? QStringLiteral("time to finish, failures included: ") : QString());
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
        return probeId;
    case EvidenceRole:
        return m_evidence.contains({ probeId, target });
    case TargetRole:
        return target;
    default:
        return {};
    }
}

QVariant MatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) {
        return {};
    }
    if (m_split) {
        if (orientation == Qt::Horizontal) {
            return section >= 0 && section < m_columns.size() ? QVariant(m_columns.at(section).label) : QVariant();
        }
        return section >= 0 && section < m_rows.size() ? QVariant(m_rows.at(section).label) : QVariant();
    }
    const QStringList &axis = orientation == Qt::Horizontal ? m_matrix.targets() : m_matrix.probeIds();
    if (section < 0 || section >= axis.size()) {
        return {};
    }
    return axis.at(section);
}

} // namespace nestscope
