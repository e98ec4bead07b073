#include "experimentlistdialog.h"

#include "experiment/experiment.h"
#include "results/runstore.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace nestscope {

namespace {

enum Column { Id, State, Runner, FindingColumn, Outcome, When };

} // namespace

ExperimentListDialog::ExperimentListDialog(RunStore *store, bool pendingOnly, QWidget *parent)
    : QDialog(parent)
    , m_store(store)
    , m_pendingOnly(pendingOnly)
    , m_intro(new QLabel(this))
    , m_list(new QTreeWidget(this))
    , m_details(new QPlainTextEdit(this))
    , m_message(new QLabel(this))
    , m_revert(new QPushButton(tr("&Revert…"), this))
    , m_keep(new QPushButton(tr("&Keep"), this))
    , m_later(new QPushButton(pendingOnly ? tr("&Later") : tr("&Close"), this))
{
    setWindowTitle(pendingOnly ? tr("Changes Still on a Runner — Nestscope") : tr("Experiments — Nestscope"));
    m_intro->setWordWrap(true);
    m_intro->setText(pendingOnly
            ? tr("These fixes were applied by Nestscope and neither kept nor reverted: their change may still be on "
                 "the runner. Revert them (connected to that runner) or keep them.")
            : tr("Every fix tried from this store, newest first."));
    m_list->setHeaderLabels({ tr("#"), tr("State"), tr("Runner"), tr("Finding"), tr("Outcome"), tr("When") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAccessibleName(tr("Experiments"));
    m_details->setReadOnly(true);
    m_details->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_details->setAccessibleName(tr("Experiment details"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    for (QPushButton *b : { m_revert, m_keep }) {
        b->setAutoDefault(false);
    }
    m_later->setDefault(true);
    m_revert->setToolTip(tr("Shows the revert commands, then runs them on the runner when you confirm"));
    m_keep->setToolTip(tr("The change stays on the runner and is no longer listed as pending"));

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_message, 1);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_keep);
    buttons->addWidget(m_later);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_intro);
    layout->addWidget(m_list, 2);
    layout->addWidget(m_details, 2);
    layout->addLayout(buttons);
    resize(900, 560);

    connect(m_list, &QTreeWidget::currentItemChanged, this, &ExperimentListDialog::showCurrent);
    connect(m_later, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_keep, &QPushButton::clicked, this, [this] {
        const auto e = current();
        if (!e || !e->pending()) {
            return;
        }
        ExperimentRunner runner(nullptr, m_store);
        if (const auto kept = runner.keep(*e); !kept) {
            m_message->setText(kept.error().toString());
            return;
        }
        m_message->clear();
        Q_EMIT experimentChanged(e->id);
        refresh();
        if (m_pendingOnly && m_experiments.isEmpty()) {
            accept(); // nothing left to decide
        }
    });
    connect(m_revert, &QPushButton::clicked, this, [this] {
        const auto e = current();
        if (!e || !e->pending()) {
            return;
        }
        if (e->runner != m_runner) {
            m_message->setText(tr("Connect to %1 first (Runner > Connect…): its revert runs there, and this window "
                                  "is connected to %2.")
                                   .arg(e->runner, m_runner.isEmpty() ? tr("no runner") : m_runner));
            return;
        }
        m_message->clear();
        Q_EMIT revertRequested(*e);
    });
    refresh();
}

void ExperimentListDialog::setCurrentRunner(const QString &description)
{
    m_runner = description;
    showCurrent();
}

void ExperimentListDialog::refresh()
{
    const std::optional<Experiment> keep = current();
    m_experiments.clear();
    if (m_store && m_store->isOpen()) {
        for (const Experiment &e : m_store->experiments()) {
            if (!m_pendingOnly || e.pending()) {
                m_experiments << e;
            }
        }
    }
    m_list->clear();
    for (const Experiment &e : std::as_const(m_experiments)) {
        auto *item = new QTreeWidgetItem(m_list);
        item->setText(Id, QString::number(e.id));
        item->setData(Id, Qt::UserRole, e.id);
        item->setText(State, toText(e.state) + (e.pending() ? tr(" (pending)") : QString()));
        item->setText(Runner, e.runner);
        item->setText(FindingColumn, e.title.isEmpty() ? e.findingId : e.title);
        item->setToolTip(FindingColumn, e.findingId);
        item->setText(Outcome, e.outcome);
        item->setText(When, e.createdAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")));
    }
    m_list->header()->resizeSections(QHeaderView::ResizeToContents);
    if (keep) {
        selectExperiment(keep->id);
    }
    if (!m_list->currentItem() && m_list->topLevelItemCount() > 0) {
        m_list->setCurrentItem(m_list->topLevelItem(0));
    }
    showCurrent();
}

std::optional<Experiment> ExperimentListDialog::current() const
{
    const QTreeWidgetItem *item = m_list->currentItem();
    if (!item) {
        return std::nullopt;
    }
    const qint64 id = item->data(Id, Qt::UserRole).toLongLong();
    for (const Experiment &e : m_experiments) {
        if (e.id == id) {
            return e;
        }
    }
    return std::nullopt;
}

void ExperimentListDialog::selectExperiment(qint64 id)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        if (m_list->topLevelItem(i)->data(Id, Qt::UserRole).toLongLong() == id) {
            m_list->setCurrentItem(m_list->topLevelItem(i));
            return;
        }
    }
}

void ExperimentListDialog::showCurrent()
{
    const auto e = current();
    m_revert->setEnabled(e && e->pending());
    m_keep->setEnabled(e && e->pending());
    if (!e) {
        m_details->setPlainText(m_experiments.isEmpty() ? tr("No experiments in this store.") : QString());
        return;
    }
    QString text = QStringLiteral("%1\nrunner: %2 · finding: %3 · %4\n\n")
                       .arg(e->title, e->runner, e->findingId, toText(e->state));
    int n = 0;
    for (const ExperimentStep &s : e->steps) {
        ++n;
        text += QStringLiteral("%1. %2%3\n   revert: %4\n")
                    .arg(n)
                    .arg(s.command, n <= e->applied ? tr("   (applied)") : QString(),
                        s.revert.isEmpty() ? tr("(nothing to undo)") : s.revert);
    }
    if (e->pending()) {
        const QStringList reverts = e->revertCommands();
        text += tr("\nApplied: %1 of %2 steps. Reverting runs, in this order:\n  %3\n")
                    .arg(e->applied)
                    .arg(e->steps.size())
                    .arg(reverts.isEmpty() ? tr("(nothing to undo)") : reverts.join(QStringLiteral("\n  ")));
        if (e->runner != m_runner) {
            text += tr("\nTo revert it, connect to %1 first.\n").arg(e->runner);
        }
    }
    if (!e->outcome.isEmpty()) {
        text += tr("\nOutcome: %1\n").arg(e->outcome);
    }
    if (!e->error.isEmpty()) {
        text += tr("\nError: %1\n").arg(e->error);
    }
    if (e->baselineRun > 0) {
        text += tr("\nBaseline run %1").arg(e->baselineRun);
        if (e->afterRun > 0) {
            text += tr(", with the fix run %1").arg(e->afterRun);
        }
        if (e->revertRun > 0) {
            text += tr(", after the revert run %1").arg(e->revertRun);
        }
        text += QLatin1Char('\n');
    }
    m_details->setPlainText(text);
}

QString ExperimentListDialog::detailsText() const
{
    return m_details->toPlainText();
}

QString ExperimentListDialog::messageText() const
{
    return m_message->text();
}

} // namespace nestscope
