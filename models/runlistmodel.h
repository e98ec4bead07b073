#pragma once

#include "results/runstore.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace nestscope {

/// The runs of a RunStore, newest first. Name, tags and notes are editable and written through
/// to the store. Search with a QSortFilterProxyModel over all columns.
class RunListModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunListModel)
public:
    enum Column { Name, Plan, Host, Started, Duration, Status, Outcome, Tags, Notes, ColumnCount };
    enum Role {
        RunIdRole = Qt::UserRole, ///< qint64
        RunInfoRole, ///< the RunInfo
        StatusRole, ///< RunStatus as int
    };

    explicit RunListModel(RunStore *store = nullptr, QObject *parent = nullptr);

    void setStore(RunStore *store);
    RunStore *store() const { return m_store; }
    /// Re-reads the list from the store.
    void refresh();
    int rowOf(qint64 runId) const;
    RunInfo runAt(int row) const { return m_runs.at(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    /// An edit could not be written to the store.
    void editFailed(const QString &message);

private:
    void refreshRun(qint64 runId);

    QPointer<RunStore> m_store;
    QList<RunInfo> m_runs;
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::RunInfo)
