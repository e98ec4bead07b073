#include "runlistview.h"

#include "common/savefile.h"
#include "results/runstore.h"
#include "runlistmodel.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace nestscope {

RunListView::RunListView(QWidget *parent)
    : QWidget(parent)
    , m_model(new RunListModel(nullptr, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_search(new QLineEdit(this))
    , m_view(new QTableView(this))
    , m_open(new QPushButton(tr("&Open"), this))
    , m_compare(new QPushButton(tr("&Compare"), this))
    , m_delete(new QPushButton(tr("&Delete…"), this))
    , m_export(new QPushButton(tr("E&xport…"), this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortRole(Qt::EditRole);

    m_search->setPlaceholderText(tr("Search name, plan, host, tags, notes"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_view->setSortingEnabled(false); // newest first, as the store lists them
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setWordWrap(false);
    m_view->setAccessibleName(tr("Stored runs"));
    connect(m_view, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (!(index.flags() & Qt::ItemIsEditable)) {
            openSelected();
        }
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunListView::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &RunListView::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, m_view, &QTableView::resizeColumnsToContents);
    connect(m_model, &RunListModel::editFailed, this, &RunListView::message);

    auto *import = new QPushButton(tr("&Import…"), this);
    m_open->setToolTip(tr("Show the selected runs"));
    m_compare->setToolTip(tr("Compare the two selected runs, the older one as \"before\""));
    m_delete->setToolTip(tr("Delete the selected runs and their samples"));
    import->setToolTip(tr("Add a run saved as JSON (e.g. by `nestscope run --json` on a CI runner)"));
    m_export->setToolTip(tr("Save the selected run as JSON"));
    connect(m_open, &QPushButton::clicked, this, &RunListView::openSelected);
    connect(m_compare, &QPushButton::clicked, this, &RunListView::compareSelected);
    connect(m_delete, &QPushButton::clicked, this, &RunListView::deleteSelected);
    connect(import, &QPushButton::clicked, this, &RunListView::importJson);
    connect(m_export, &QPushButton::clicked, this, &RunListView::exportSelected);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_open);
    buttons->addWidget(m_compare);
    buttons->addStretch(1);
    buttons->addWidget(import);
    buttons->addWidget(m_export);
    buttons->addWidget(m_delete);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_search);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);

    m_confirm = [this](const QString &question) {
        return QMessageBox::question(
                   this, tr("Delete runs"), question, QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
            == QMessageBox::Yes;
    };
    updateButtons();
}

void RunListView::setStore(RunStore *store)
{
    m_store = store;
    m_model->setStore(store);
    m_view->resizeColumnsToContents();
    updateButtons();
}

QList<qint64> RunListView::selectedRunIds() const
{
    QList<qint64> ids;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows()) {
        ids << index.data(RunListModel::RunIdRole).toLongLong();
    }
    return ids;
}

void RunListView::selectRuns(const QList<qint64> &ids)
{
    QItemSelection selection;
    for (qint64 id : ids) {
        const int row = m_model->rowOf(id);
        if (row >= 0) {
            const QModelIndex left = m_proxy->mapFromSource(m_model->index(row, 0));
            const QModelIndex right = m_proxy->mapFromSource(m_model->index(row, RunListModel::ColumnCount - 1));
            if (left.isValid()) {
                selection.select(left, right);
            }
        }
    }
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void RunListView::updateButtons()
{
    const qsizetype n = m_view->selectionModel()->selectedRows().size();
    m_open->setEnabled(n >= 1);
    m_compare->setEnabled(n == 2);
    m_delete->setEnabled(n >= 1);
    m_export->setEnabled(n == 1);
}

void RunListView::openSelected()
{
    const QList<qint64> ids = selectedRunIds();
    if (!ids.isEmpty()) {
        Q_EMIT openRequested(ids);
    }
}

void RunListView::compareSelected()
{
    QList<qint64> ids = selectedRunIds();
    if (ids.size() != 2 || !m_store) {
        return;
    }
    const auto a = m_store->runInfo(ids.at(0));
    const auto b = m_store->runInfo(ids.at(1));
    if (!a || !b) {
        return;
    }
    // The earlier run is "before", whichever order they were selected in.
    const bool aFirst = a->startedAt < b->startedAt || (a->startedAt == b->startedAt && a->id < b->id);
    Q_EMIT compareRequested(aFirst ? a->id : b->id, aFirst ? b->id : a->id);
}

void RunListView::deleteSelected()
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.isEmpty() || !m_store) {
        return;
    }
    QStringList names;
    for (qint64 id : ids) {
        if (const auto info = m_store->runInfo(id)) {
            names << QStringLiteral("• %1 (%2 samples)").arg(info->displayName()).arg(info->samples);
        }
    }
    const QString question
        = tr("Delete %n run(s) and all their samples? This cannot be undone.\n\n%1", "", int(ids.size()))
              .arg(names.join(QLatin1Char('\n')));
    if (!m_confirm(question)) {
        return;
    }
    for (qint64 id : ids) {
        const auto ok = m_store->deleteRun(id);
        if (!ok) {
            Q_EMIT message(ok.error().message);
        }
    }
}

void RunListView::importJson()
{
    if (!m_store) {
        return;
    }
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Import Runs"), QString(), tr("Nestscope runs (*.json);;All files (*)"));
    QStringList failed;
    QStringList known;
    QList<qint64> ids;
    for (const QString &path : files) {
        bool already = false;
        const auto id = importFile(path, &already);
        if (!id) {
            failed << QStringLiteral("%1: %2").arg(QFileInfo(path).fileName(), id.error().message);
            continue;
        }
        ids << *id;
        if (already) {
            const auto info = m_store->runInfo(*id);
            known << tr("%1 is already in the list as “%2”")
                         .arg(QFileInfo(path).fileName(), info ? info->displayName() : QString::number(*id));
        }
    }
    if (!ids.isEmpty()) {
        selectRuns(ids);
    }
    // Said where it stays readable, not in the status bar where it flashes by.
    if (!failed.isEmpty()) {
        QMessageBox::warning(this, tr("Import Runs"),
            tr("%n file(s) could not be imported; nothing of them was stored:", nullptr, int(failed.size()))
                + QStringLiteral("\n\n") + failed.join(QLatin1Char('\n')));
    }
    if (!known.isEmpty()) {
        QMessageBox::information(this, tr("Import Runs"),
            known.join(QLatin1Char('\n')) + QStringLiteral("\n\n") + tr("It was selected, not stored a second time."));
    }
}

Result<qint64> RunListView::importFile(const QString &path, bool *alreadyStored)
{
    if (!m_store) {
        return Error { tr("no run store is open"), path };
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { tr("cannot read it: %1").arg(f.errorString()), path };
    }
    const auto id = m_store->importJson(f.readAll(), QFileInfo(path).fileName(), alreadyStored);
    if (id) {
        selectRuns({ *id });
    }
    return id;
}

void RunListView::exportSelected()
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.size() != 1 || !m_store) {
        return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Run"), QStringLiteral("nestscope-run.json"), tr("Nestscope run (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    const auto json = m_store->exportJson(ids.first());
    if (!json) {
        Q_EMIT message(json.error().toString());
        return;
    }
    if (const QString why = writeWholeFile(path, *json); !why.isEmpty()) {
        Q_EMIT message(tr("Cannot write %1: %2").arg(path, why));
        return;
    }
    Q_EMIT message(tr("Saved %1").arg(path));
}

} // namespace nestscope
