#pragma once

#include "transport/transport.h"

#include <QHash>
#include <QPointer>
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QHBoxLayout;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace nestscope {

/// Type a command once, run it on the runner and any chosen instances at once, and read the
/// outputs side by side with exit code and time. Up/Down walk the history; Esc stops.
class ConsoleView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsoleView)
public:
    explicit ConsoleView(QWidget *parent = nullptr);
    ~ConsoleView() override;

    /// The targets offered (name -> where it runs); all are ticked at first. Not owned.
    void setTargets(const QHash<QString, Transport *> &transports, const QStringList &order);
    void setChecked(const QString &target, bool checked);

    /// Runs `command` on every ticked target (what Enter does).
    void run(const QString &command);
    void stop();
    bool isRunning() const;

    QLineEdit *input() const { return m_input; }
    QStringList history() const { return m_history; }
    /// The text shown for a target's last command (header, stdout, stderr).
    QString outputOf(const QString &target) const;

Q_SIGNALS:
    void finished();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Pane {
        QCheckBox *check = nullptr;
        QPlainTextEdit *output = nullptr;
        QPointer<CommandJob> job;
        Transport *transport = nullptr;
    };
    void rebuild();

    QLineEdit *m_input;
    QPushButton *m_runButton;
    QPushButton *m_stopButton;
    QHBoxLayout *m_checks;
    QHBoxLayout *m_panes;
    QStringList m_order;
    QHash<QString, Pane> m_targets;
    QStringList m_history;
    int m_historyIndex = -1;
};

} // namespace nestscope
