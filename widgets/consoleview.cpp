#include "consoleview.h"

#include "codehighlighter.h"
#include "matrixmodel.h"

#include <QCheckBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace nestscope {

ConsoleView::ConsoleView(QWidget *parent)
    : QWidget(parent)
    , m_input(new QLineEdit(this))
    , m_runButton(new QPushButton(tr("Run"), this))
    , m_stopButton(new QPushButton(tr("Stop"), this))
    , m_checks(new QHBoxLayout)
    , m_panes(new QHBoxLayout)
{
    m_input->setPlaceholderText(
        tr("A command to run on every ticked target, e.g. ip -br addr (Enter runs, ↑/↓ history)"));
    m_input->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_input->installEventFilter(this);
    m_input->setAccessibleName(tr("Console command"));
    m_stopButton->setEnabled(false);
    m_stopButton->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(m_input, &QLineEdit::returnPressed, this, [this] {
        run(m_input->text());
    });
    connect(m_runButton, &QPushButton::clicked, this, [this] {
        run(m_input->text());
    });
    connect(m_stopButton, &QPushButton::clicked, this, &ConsoleView::stop);

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("$"), this));
    top->addWidget(m_input, 1);
    top->addWidget(m_runButton);
    top->addWidget(m_stopButton);
    m_checks->addWidget(new QLabel(tr("Run on:"), this));
    m_checks->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(m_checks);
    layout->addLayout(m_panes, 1);
}

ConsoleView::~ConsoleView()
{
    stop();
}

void ConsoleView::setTargets(const QHash<QString, Transport *> &transports, const QStringList &order)
{
    // Jobs in flight report later; cut them off from the panes that are about to go.
    for (auto &pane : m_targets) {
        if (pane.job) {
            pane.job->disconnect(this);
            pane.job->cancel();
        }
    }
    for (auto &pane : m_targets) {
        delete pane.check;
        delete pane.output;
    }
    m_targets.clear();
    m_order = order;
    for (const QString &name : order) {
        Pane pane;
        pane.transport = transports.value(name);
        pane.check = new QCheckBox(name, this);
        pane.check->setChecked(true);
        pane.output = new QPlainTextEdit(this);
        pane.output->setReadOnly(true);
        pane.output->setLineWrapMode(QPlainTextEdit::NoWrap);
        pane.output->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        pane.output->setPlaceholderText(name);
        pane.output->setAccessibleName(tr("Output on %1").arg(name));
        attachHighlighter(pane.output->document(), CodeLanguage::Log);
        connect(pane.check, &QCheckBox::toggled, pane.output, &QWidget::setVisible);
        m_targets.insert(name, pane);
    }
    rebuild();
}

void ConsoleView::rebuild()
{
    for (const QString &name : std::as_const(m_order)) {
        m_checks->insertWidget(m_checks->count() - 1, m_targets[name].check);
        m_panes->addWidget(m_targets[name].output, 1);
    }
}

void ConsoleView::setChecked(const QString &target, bool checked)
{
    if (m_targets.contains(target)) {
        m_targets[target].check->setChecked(checked);
    }
}

bool ConsoleView::isRunning() const
{
    return std::any_of(m_targets.cbegin(), m_targets.cend(), [](const Pane &p) {
        return !p.job.isNull();
    });
}

void ConsoleView::run(const QString &command)
{
    if (command.trimmed().isEmpty() || isRunning()) {
        return;
    }
    m_history.removeAll(command);
    m_history.append(command);
    m_historyIndex = -1;
    m_input->clear();
    for (const QString &name : std::as_const(m_order)) {
        Pane &pane = m_targets[name];
        if (!pane.check->isChecked()) {
            continue;
        }
        pane.output->setPlainText(QStringLiteral("$ %1").arg(command));
        if (!pane.transport) {
            pane.output->appendPlainText(tr("── not connected ──"));
            continue;
        }
        CommandRequest request;
        request.command = command;
        request.timeout = std::chrono::seconds(60);
        CommandJob *job = pane.transport->start(request);
        pane.job = job;
        QPlainTextEdit *out = pane.output;
        connect(job, &CommandJob::finished, out, [this, out, name](const CommandResult &r) {
            QString text = QString::fromUtf8(r.stdOut);
            if (!r.stdErr.isEmpty()) {
                text += QStringLiteral("── stderr ──\n") + QString::fromUtf8(r.stdErr);
            }
            if (r.stdOutTruncated || r.stdErrTruncated) {
                text += tr("\n[output truncated]");
            }
            out->appendPlainText(text.trimmed());
            const QString how = r.outcome == CommandOutcome::Exited ? tr("exit %1").arg(r.exitCode) : toText(r.outcome);
            out->appendPlainText(tr("── %1 · %2 ──").arg(how, MatrixModel::formatMs(double(r.wallTimeMs))));
            if (const auto it = m_targets.find(name); it != m_targets.end()) {
                it->job = nullptr;
            }
            if (!isRunning()) {
                m_stopButton->setEnabled(false);
                m_runButton->setEnabled(true);
                Q_EMIT finished();
            }
        });
    }
    const bool running = isRunning();
    m_stopButton->setEnabled(running);
    m_runButton->setEnabled(!running);
    if (!running) {
        Q_EMIT finished();
    }
}

void ConsoleView::stop()
{
    for (auto &pane : m_targets) {
        if (pane.job) {
            pane.job->cancel();
        }
    }
}

QString ConsoleView::outputOf(const QString &target) const
{
    const auto it = m_targets.constFind(target);
    return it == m_targets.cend() ? QString() : it->output->toPlainText();
}

bool ConsoleView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_input && event->type() == QEvent::KeyPress && !m_history.isEmpty()) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Up || key == Qt::Key_Down) {
            if (m_historyIndex < 0) {
                m_historyIndex = int(m_history.size());
            }
            m_historyIndex = std::clamp(m_historyIndex + (key == Qt::Key_Up ? -1 : 1), 0, int(m_history.size()));
            m_input->setText(m_historyIndex < m_history.size() ? m_history.at(m_historyIndex) : QString());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace nestscope
