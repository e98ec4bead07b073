#include "runlistmodel.h"

#include <QColor>
#include <QLocale>

namespace nestscope {

namespace {

QString duration(const RunInfo &r)
{
    if (!r.startedAt.isValid() || !r.finishedAt.isValid()) {
        return QString();
    }
    const qint64 ms = r.startedAt.msecsTo(r.finishedAt);
    if (ms < 10'000) {
        return QStringLiteral("%1 s").arg(ms / 1000.0, 0, 'f', 1);
    }
    const qint64 s = ms / 1000;
    return s >= 60 ? QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'))
                   : QStringLiteral("%1 s").arg(s);
}

} // namespace

RunListModel::RunListModel(RunStore *store, QObject *parent)
    : QAbstractTableModel(parent)
{
    setStore(store);
}

void RunListModel::setStore(RunStore *store)
{
    if (m_store) {
        m_store->disconnect(this);
    }
    m_store = store;
    if (m_store) {
        connect(m_store, &RunStore::runsChanged, this, &RunListModel::refresh);
        connect(m_store, &RunStore::samplesCommitted, this, &RunListModel::refreshRun);
    }
    refresh();
}

void RunListModel::refresh()
{
    QList<RunInfo> runs = m_store ? m_store->runs() : QList<RunInfo>();
    bool sameRows = runs.size() == m_runs.size();
    for (qsizetype i = 0; sameRows && i < runs.size(); ++i) {
        sameRows = runs.at(i).id == m_runs.at(i).id;
    }
    if (sameRows) {
        // Keep selection and editors: only the texts changed.
        m_runs = std::move(runs);
        if (!m_runs.isEmpty()) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

void RunListModel::refreshRun(qint64 runId)
{
    const int row = rowOf(runId);
    if (row < 0 || !m_store) {
        return;
    }
    if (const auto info = m_store->runInfo(runId)) {
        m_runs[row] = *info;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

int RunListModel::rowOf(qint64 runId) const
{
    for (qsizetype i = 0; i < m_runs.size(); ++i) {
        if (m_runs.at(i).id == runId) {
            return int(i);
        }
    }
    return -1;
}

int RunListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const RunInfo &r = m_runs.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        switch (index.column()) {
        case Name:
            return role == Qt::EditRole ? r.name : r.displayName();
        case Plan:
            return r.planName;
        case Host:
            return r.host;
        case Started:
            return r.startedAt.isValid()
                ? QLocale().toString(r.startedAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm"))
                : QString();
        case Duration:
            return duration(r);
        case Status:
            return toText(r.status);
        case Outcome:
            return r.samples == 0 ? QString() : QStringLiteral("%1 / %2 pass").arg(r.passed).arg(r.samples);
        case Tags:
            return r.tags.join(QStringLiteral(", "));
        case Notes:
            return role == Qt::EditRole ? r.notes : r.notes.section(QLatin1Char('\n'), 0, 0);
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Notes && !r.notes.isEmpty()) {
            return r.notes;
        }
        if (index.column() == Status && r.status == RunStatus::Interrupted) {
            return tr("The process that ran it stopped before the run ended; the samples that completed are kept.");
        }
        return QStringLiteral("%1 pass · %2 fail · %3 timeout · %4 error · %5 skipped")
            .arg(r.passed)
            .arg(r.failed)
            .arg(r.timeouts)
            .arg(r.errors)
            .arg(r.skipped);
    case Qt::ForegroundRole:
        if (index.column() == Status && r.status == RunStatus::Interrupted) {
            return QColor(0xb0, 0x40, 0x20);
        }
        return {};
    case RunIdRole:
        return r.id;
    case RunInfoRole:
        return QVariant::fromValue(r);
    case StatusRole:
        return int(r.status);
    default:
        return {};
    }
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case Name:
        return tr("Name");
    case Plan:
        return tr("Plan");
    case Host:
        return tr("Host");
    case Started:
        return tr("Started");
    case Duration:
        return tr("Duration");
    case Status:
        return tr("Status");
    case Outcome:
        return tr("Result");
    case Tags:
        return tr("Tags");
    case Notes:
        return tr("Notes");
    default:
        return {};
    }
}

Qt::ItemFlags RunListModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && (index.column() == Name || index.column() == Tags || index.column() == Notes)) {
        f |= Qt::ItemIsEditable;
    }
    return f;
}

bool RunListModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !m_store
        || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return false;
    }
    const qint64 id = m_runs.at(index.row()).id;
    Result<bool> ok = false;
    switch (index.column()) {
    case Name:
        ok = m_store->renameRun(id, value.toString());
        break;
    case Tags:
        ok = m_store->setTags(id, value.toString().split(QLatin1Char(','), Qt::SkipEmptyParts));
        break;
    case Notes:
        ok = m_store->setNotes(id, value.toString());
        break;
    default:
        return false;
    }
    if (!ok) {
        Q_EMIT editFailed(ok.error().toString());
        return false;
    }
    return true; // the store's runsChanged() refreshed the row
}

} // namespace nestscope
