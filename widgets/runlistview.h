#pragma once

#include "common/result.h"

#include <QWidget>

#include <functional>

class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace nestscope {

class RunListModel;
class RunStore;

/// The stored runs: search, rename / tag / annotate in place, open one or several, compare two,
/// delete with confirmation, import and export run JSON.
class RunListView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunListView)
public:
    explicit RunListView(QWidget *parent = nullptr);

    void setStore(RunStore *store);
    RunListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QLineEdit *searchField() const { return m_search; }
    QList<qint64> selectedRunIds() const;
    void selectRuns(const QList<qint64> &ids);

    /// Adds the run saved as JSON at `path` to the store and selects it: what Import… does for each
    /// file it is given (File > Open… and drops on the window come here too).
    /// Imports a run file into the store and selects it; a run the store already holds is selected,
    /// not stored twice (*alreadyStored says so).
    Result<qint64> importFile(const QString &path, bool *alreadyStored = nullptr);

    /// Asks before deleting; the default shows a QMessageBox. Tests replace it.
    void setConfirmation(std::function<bool(const QString &question)> confirm) { m_confirm = std::move(confirm); }

public Q_SLOTS:
    void openSelected();
    void compareSelected();
    void deleteSelected();
    void importJson();
    void exportSelected();

Q_SIGNALS:
    void openRequested(const QList<qint64> &runIds);
    /// The older of the two selected runs is "before".
    void compareRequested(qint64 beforeId, qint64 afterId);
    void message(const QString &text);

private:
    void updateButtons();

    RunStore *m_store = nullptr;
    RunListModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_search;
    QTableView *m_view;
    QPushButton *m_open;
    QPushButton *m_compare;
    QPushButton *m_delete;
    QPushButton *m_export;
    std::function<bool(const QString &)> m_confirm;
};

} // namespace nestscope
